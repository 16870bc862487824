"""The registry: clear errors, plugins through entry points, and a contract for every channel."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import BaseModel, SecretStr

from groundswell.alerts.notifiers import NOTIFIERS, Notifier, build_notifier, notifier_kinds
from groundswell.alerts.notifiers.base import load_notifier_kinds
from groundswell.errors import ConfigError

DOCS = Path(__file__).parents[3] / "docs" / "alerts" / "channels.md"
BUILTINS = {"email", "webhook", "wecom", "dingtalk", "feishu", "slack", "sms"}


def test_builtins_are_registered() -> None:
    assert set(notifier_kinds()) >= BUILTINS


def test_unknown_kind_names_the_known_ones() -> None:
    with pytest.raises(ConfigError, match=r"unknown notifier kind 'pager'.*dingtalk, email"):
        build_notifier("pager", {})


@pytest.mark.parametrize(
    ("kind", "config", "problem"),
    [
        ("email", {"host": "smtp.example", "from_addr": "a@b.c"}, r"to: Field required"),
        (
            "email",
            {"host": "h", "from_addr": "a", "to": ["b"], "ssl": True, "starttls": True},
            "not both",
        ),
        ("webhook", {"url": "ftp://x"}, r"url: String should match"),
        ("wecom", {"key": "k", "colour": "red"}, r"colour: Extra inputs are not permitted"),
        (
            "dingtalk",
            {"access_token": "t", "locale": "fr"},
            r"locale: Input should be 'zh' or 'en'",
        ),
        ("sms", {"url": "https://x", "to": []}, r"to: List should have at least 1 item"),
    ],
)
def test_bad_config_is_a_config_error(kind: str, config: dict[str, object], problem: str) -> None:
    with pytest.raises(ConfigError, match=rf"invalid config for {kind} notifier: .*{problem}"):
        build_notifier(kind, config)


def test_secrets_stay_out_of_reprs_and_config_errors() -> None:
    notifier = build_notifier("dingtalk", {"access_token": "tok-123", "secret": "SEC-456"})
    assert "tok-123" not in repr(notifier.config) and "SEC-456" not in repr(notifier.config)
    assert sorted(notifier.secrets()) == ["SEC-456", "tok-123"]
    with pytest.raises(ConfigError) as info:
        build_notifier("dingtalk", {"access_token": "tok-123", "secret": "SEC-456", "x": 1})
    assert "tok-123" not in str(info.value) and "SEC-456" not in str(info.value)


def _section(kind: str) -> str:
    text = DOCS.read_text()
    match = re.search(rf"^## `{kind}`.*?(?=^## |\Z)", text, flags=re.M | re.S)
    assert match, f"docs/alerts/channels.md has no '## `{kind}`' section"
    return match.group(0)


@pytest.mark.parametrize("kind", notifier_kinds())
def test_contract(kind: str) -> None:
    """Every registered channel: name, title, validated Config, send, and its docs section."""
    cls = NOTIFIERS[kind]
    assert issubclass(cls, Notifier) and cls.name == kind and cls.title
    assert issubclass(cls.Config, BaseModel)
    assert cls.Config.model_config.get("extra") == "forbid"
    assert "locale" in cls.Config.model_fields and "timeout" in cls.Config.model_fields
    assert "send" not in getattr(cls, "__abstractmethods__", ())
    section = _section(kind)
    for field in cls.Config.model_fields:  # every config field is documented
        assert f"`{field}`" in section, f"{kind}: field {field!r} missing from its docs section"
    assert "etryable" in section, f"{kind}: docs must say what is retryable"
    secret_fields = [
        n for n, f in cls.Config.model_fields.items() if "SecretStr" in repr(f.annotation)
    ]
    for name in secret_fields:  # a secret field is named as such in the docs
        assert re.search(rf"`{name}`[^\n]*secret", section, flags=re.I), (kind, name)
    assert SecretStr  # imported for the annotation check above


PLUGIN = """
from groundswell.alerts.notifiers.base import DeliveryReceipt, Notifier, NotifierConfig


class PagerConfig(NotifierConfig):
    number: str


class PagerNotifier(Notifier):
    name = "test-pager"
    title = "A test plugin"
    Config = PagerConfig

    async def send(self, message, client):
        return DeliveryReceipt(self.name, "paged")
"""


def _install_plugin(root: Path, target: str) -> None:
    """A real (tiny) installed distribution with a `groundswell.notifiers` entry point."""
    info = root / "gs_test_plugin-1.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: gs-test-plugin\nVersion: 1.0\n")
    (info / "entry_points.txt").write_text(f"[groundswell.notifiers]\ntest-pager = {target}\n")
    (root / "gs_test_pager.py").write_text(PLUGIN)


@pytest.fixture
def plugin_path(tmp_path: Path) -> Iterator[Path]:
    sys.path.insert(0, str(tmp_path))
    try:
        yield tmp_path
    finally:
        sys.path.remove(str(tmp_path))
        sys.modules.pop("gs_test_pager", None)
        NOTIFIERS.pop("test-pager", None)
        load_notifier_kinds(refresh=True)


def test_entry_point_plugin_joins_the_registry(plugin_path: Path) -> None:
    _install_plugin(plugin_path, "gs_test_pager:PagerNotifier")
    load_notifier_kinds(refresh=True)
    assert "test-pager" in notifier_kinds()
    assert build_notifier("test-pager", {"number": "42"}).config.number == "42"  # type: ignore[attr-defined]


def test_broken_plugin_fails_loudly(plugin_path: Path) -> None:
    _install_plugin(plugin_path, "gs_no_such_module:Nothing")
    with pytest.raises(ConfigError, match="notifier plugin 'test-pager' failed to load"):
        load_notifier_kinds(refresh=True)
