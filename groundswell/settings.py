"""The one typed settings registry: defaults < TOML file < GROUNDSWELL_* env < CLI flags.

Every setting is a field here with a description; `docs/configuration.md` must
document each one (a test enforces it).
"""

from __future__ import annotations

import os
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
    TomlConfigSettingsSource,
)

from groundswell import USER_AGENT
from groundswell.errors import ConfigError

DEFAULT_CONFIG_FILE = "groundswell.toml"
_CONFIG_FILE: ContextVar[str | None] = ContextVar("groundswell_config_file", default=None)


class Settings(BaseSettings):
    """All of Groundswell's settings. Env names are GROUNDSWELL_<FIELD NAME IN CAPITALS>."""

    model_config = SettingsConfigDict(env_prefix="GROUNDSWELL_", extra="forbid")

    database_url: str = Field(
        "sqlite:///groundswell.db",
        description="SQLAlchemy URL of the store: sqlite:///file.db or postgresql://...",
    )
    pseudonym_key: str = Field(
        "",
        description="Secret key for author pseudonyms (HMAC). Empty: a random key is made "
        "once and kept in the database.",
    )
    log_level: str = Field("INFO", description="Logging level: DEBUG, INFO, WARNING, ERROR.")

    # polite fetching
    user_agent: str = Field(USER_AGENT, description="User-Agent sent on every request.")
    connect_timeout: float = Field(10.0, gt=0, description="Seconds to establish a connection.")
    read_timeout: float = Field(20.0, gt=0, description="Seconds to wait for each read.")
    total_timeout: float = Field(60.0, gt=0, description="Wall-clock cap per request, seconds.")
    max_body_bytes: int = Field(10_000_000, gt=0, description="Largest response body accepted.")
    per_host_interval: float = Field(
        1.0, ge=0, description="Minimum seconds between requests to one host."
    )
    per_host_concurrency: int = Field(2, ge=1, description="Concurrent requests per host.")
    max_retries: int = Field(3, ge=0, description="Retries on 429, 5xx and network errors.")
    respect_robots: bool = Field(True, description="Obey robots.txt (leave on for public use).")
    allow_private_addresses: bool = Field(
        False, description="Turn off the SSRF guard (never on a shared deployment)."
    )
    allowed_hosts: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Hosts, IPs or CIDRs that may be fetched even if private or loopback.",
    )

    # collection
    default_interval: int = Field(
        900, ge=10, description="Seconds between collections of a source, unless it sets its own."
    )
    schedule_jitter: float = Field(
        0.1, ge=0, le=0.5, description="Random spread of each interval, as a fraction."
    )
    max_concurrent_sources: int = Field(8, ge=1, description="Sources collected at once.")
    max_text_chars: int = Field(100_000, ge=100, description="Longer post texts are truncated.")

    # Analysis
    sentiment_backend: str = Field(
        "builtin", description="Sentiment backend: builtin (shipped model), lexicon or onnx."
    )
    sentiment_model_path: str = Field(
        "",
        description="Model for the sentiment backend: a trained builtin model file, or the "
        "directory of an ONNX model. Empty: the model shipped in the package.",
    )
    analysis_processes: int = Field(
        0,
        ge=0,
        description="Worker processes for normalising and analysing large batches. "
        "0: one per CPU core; 1: everything in the calling process.",
    )
    story_window_days: float = Field(
        7.0, gt=0, description="Reposts are merged with originals seen this many days before."
    )
    event_window_hours: float = Field(
        72.0, gt=0, description="An event with no new post for this long is closed."
    )

    # HTTP API
    host: str = Field("127.0.0.1", description="Address `serve` listens on.")
    port: int = Field(8000, ge=0, le=65535, description="Port `serve` listens on.")
    public_url: str = Field(
        "",
        description="The desk's address as people reach it, for links in alerts "
        "(default: http://HOST:PORT).",
    )

    # Retention (0: keep forever)
    retention_posts_days: int = Field(
        365, ge=0, description="Days posts are kept after collection (their matches go too)."
    )
    retention_alerts_days: int = Field(
        730, ge=0, description="Days alerts, their messages and notifications are kept."
    )
    retention_audit_days: int = Field(1095, ge=0, description="Days audit log entries are kept.")
    retention_operations_days: int = Field(
        90, ge=0, description="Days collection runs, quarantine, sign-in attempts are kept."
    )

    # Alerts
    alert_interval_seconds: float = Field(
        1.0, gt=0, le=3600, description="Seconds between rule evaluations when nothing pokes."
    )
    alert_escalation_minutes: float = Field(
        15.0, gt=0, description="Minutes an alert waits for acknowledgement before escalating."
    )
    alert_office_lead: str = Field(
        "", description="User name of the office lead, the last step of every escalation."
    )
    alert_max_attempts: int = Field(
        12, ge=1, le=100, description="Delivery attempts per message before it is marked dead."
    )
    alert_link_days: float = Field(
        7.0, gt=0, description="Days a signed acknowledgement link in a message stays valid."
    )

    # Accounts
    session_idle_hours: float = Field(
        12.0, gt=0, description="A session unused for this many hours ends (sign in again)."
    )
    session_max_days: float = Field(
        7.0, gt=0, description="A session ends this many days after sign-in, used or not."
    )
    cookie_secure: Literal["auto", "always", "never"] = Field(
        "auto",
        description="Secure flag of the session cookie: auto (when the request is https), "
        "always (behind a TLS proxy), never (plain http on loopback only).",
    )
    login_max_failures_per_name: int = Field(
        5, ge=1, description="Failed sign-ins for one account within the window before 429."
    )
    login_max_failures_per_ip: int = Field(
        20, ge=1, description="Failed sign-ins from one address within the window before 429."
    )
    login_window_minutes: float = Field(
        15.0, gt=0, description="The window the sign-in failure limits count over, minutes."
    )

    @field_validator("allowed_hosts", mode="before")
    @classmethod
    def _split_hosts(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [h.strip() for h in value.split(",") if h.strip()]
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_file = _CONFIG_FILE.get() or os.environ.get("GROUNDSWELL_CONFIG", DEFAULT_CONFIG_FILE)
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if Path(toml_file).is_file():
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_file))
        return tuple(sources)


def load_settings(config_file: str | None = None, **overrides: Any) -> Settings:
    """Build settings; `overrides` are CLI flags (None values mean 'not given')."""
    given = {k: v for k, v in overrides.items() if v is not None}
    if config_file is not None and not Path(config_file).is_file():
        raise ConfigError(f"config file not found: {config_file}")
    token = _CONFIG_FILE.set(config_file)
    try:
        return Settings(**given)
    except SettingsError as exc:
        raise ConfigError(f"invalid settings: {exc}") from exc
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(f"invalid settings: {problems}") from exc
    finally:
        _CONFIG_FILE.reset(token)
