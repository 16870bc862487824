"""Browser fixtures for the UI tests (tests/support/browser.py) and the `browser` marker."""

from __future__ import annotations

import pytest

from tests.support.browser import chromium, live_server, page, ui_desk

__all__ = ["chromium", "live_server", "page", "ui_desk"]


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "browser: drives headless Chromium (deselect with -m 'not browser')"
    )
