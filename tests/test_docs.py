"""Every setting and every CLI command must be documented (a missing one fails here)."""

from __future__ import annotations

from pathlib import Path

import typer.main

from groundswell.cli import app
from groundswell.settings import Settings

DOCS = Path(__file__).parents[1] / "docs"


def command_paths() -> list[str]:
    paths: list[str] = []

    def walk(group: object, prefix: str) -> None:
        for name, command in group.commands.items():  # type: ignore[attr-defined]
            if hasattr(command, "commands"):
                walk(command, f"{prefix}{name} ")
            else:
                paths.append(f"{prefix}{name}")

    walk(typer.main.get_command(app), "")
    return paths


def test_every_setting_is_documented() -> None:
    text = (DOCS / "configuration.md").read_text()
    missing = [
        name
        for name in Settings.model_fields
        if f"`{name}`" not in text or f"GROUNDSWELL_{name.upper()}" not in text
    ]
    assert not missing, f"settings missing from docs/configuration.md: {missing}"


def test_every_command_is_documented() -> None:
    text = (DOCS / "cli.md").read_text()
    paths = command_paths()
    assert {"init", "sources add", "collect", "search", "demo", "import"} <= set(paths)
    missing = [p for p in paths if f"## `groundswell {p}" not in text]
    assert not missing, f"commands missing from docs/cli.md: {missing}"


def test_readme_has_the_two_commands() -> None:
    readme = (DOCS.parent / "README.md").read_text()
    assert "groundswell demo" in readme
    ci = (DOCS.parent / ".ci" / "run").read_text()
    test_command = 'python3 -m pip install -q -e ".[test]" && python3 -m pytest'
    assert test_command in ci
    assert test_command.replace(" -q", "") in readme
