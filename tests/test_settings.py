"""Settings precedence: defaults < TOML file < GROUNDSWELL_* environment < CLI flags."""

from __future__ import annotations

from pathlib import Path

import pytest

from groundswell.errors import ConfigError
from groundswell.settings import load_settings


def test_defaults() -> None:
    settings = load_settings()
    assert settings.database_url == "sqlite:///groundswell.db"
    assert settings.respect_robots and not settings.allow_private_addresses


def test_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    toml = tmp_path / "groundswell.toml"
    toml.write_text('default_interval = 600\nport = 9000\nlog_level = "DEBUG"\n')
    settings = load_settings(str(toml))
    assert (settings.default_interval, settings.port, settings.log_level) == (600, 9000, "DEBUG")
    monkeypatch.setenv("GROUNDSWELL_PORT", "9100")
    monkeypatch.setenv("GROUNDSWELL_ALLOWED_HOSTS", "intranet.example, 10.1.0.0/16")
    settings = load_settings(str(toml))
    assert settings.port == 9100 and settings.default_interval == 600
    assert settings.allowed_hosts == ["intranet.example", "10.1.0.0/16"]
    settings = load_settings(str(toml), port=9200, log_level=None)
    assert settings.port == 9200 and settings.log_level == "DEBUG"


def test_toml_found_in_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GROUNDSWELL_CONFIG")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "groundswell.toml").write_text('database_url = "sqlite:///here.db"\n')
    assert load_settings().database_url == "sqlite:///here.db"


@pytest.mark.parametrize(
    ("env", "value", "message"),
    [
        ("GROUNDSWELL_PORT", "99999", "port"),
        ("GROUNDSWELL_DEFAULT_INTERVAL", "soon", "default_interval"),
        ("GROUNDSWELL_NO_SUCH_SETTING", "1", None),
    ],
)
def test_bad_values_are_refused_with_the_setting_name(
    monkeypatch: pytest.MonkeyPatch, env: str, value: str, message: str | None
) -> None:
    monkeypatch.setenv(env, value)
    if message is None:  # unknown env names are ignored, like any other variable
        load_settings()
        return
    with pytest.raises(ConfigError, match=message):
        load_settings()


def test_unknown_toml_key_and_missing_file_are_errors(tmp_path: Path) -> None:
    toml = tmp_path / "g.toml"
    toml.write_text("databse_url = 'typo'\n")
    with pytest.raises(ConfigError, match="databse_url"):
        load_settings(str(toml))
    with pytest.raises(ConfigError, match="not found"):
        load_settings(str(tmp_path / "missing.toml"))
