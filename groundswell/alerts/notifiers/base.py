"""The seam every notification channel plugs into, and the one registry of them.

A notifier is a class with a `name`, a typed pydantic `Config` (secrets are
config fields, typed `SecretStr` so they never show in a repr or log line) and
one `send` method. Failures raise `DeliveryError` saying whether the outbox
should try again: network errors, timeouts, 429 and 5xx are retryable; a
rejected request or a platform error code meaning "bad config" is not.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass
from importlib import import_module
from importlib.metadata import entry_points
from typing import Any, ClassVar, Literal, TypeVar

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError

from groundswell.alerts.message import AlertMessage
from groundswell.errors import ConfigError, GroundswellError, validation_problems

BUILTIN_MODULES = [
    "groundswell.alerts.notifiers.email",
    "groundswell.alerts.notifiers.webhook",
    "groundswell.alerts.notifiers.wecom",
    "groundswell.alerts.notifiers.dingtalk",
    "groundswell.alerts.notifiers.feishu",
    "groundswell.alerts.notifiers.slack",
    "groundswell.alerts.notifiers.sms",
]
ENTRY_POINT_GROUP = "groundswell.notifiers"


class DeliveryError(GroundswellError):
    """A channel did not take the message; `retryable` tells the outbox whether to try again."""

    def __init__(self, message: str, retryable: bool) -> None:
        super().__init__(message)
        self.retryable = retryable


@dataclass(frozen=True)
class DeliveryReceipt:
    """What the channel said when it accepted the message (shown in the delivery log)."""

    channel: str
    status: str  # the channel's own words: "ok", "250 queued", errmsg...
    remote_id: str | None = None  # message id on the channel side, when it gives one


class NotifierConfig(BaseModel):
    """Base of every channel's config: unknown keys are an error, text language is chosen."""

    model_config = ConfigDict(extra="forbid")

    locale: Literal["zh", "en"] = "zh"
    timeout: float = Field(10.0, gt=0, description="seconds for the whole request")


class Notifier(ABC):
    """One channel kind. Instances are cheap; build one per configured channel."""

    name: ClassVar[str]
    title: ClassVar[str]
    Config: ClassVar[type[NotifierConfig]]

    def __init__(self, config: NotifierConfig) -> None:
        self.config = config

    @abstractmethod
    async def send(self, message: AlertMessage, client: httpx.AsyncClient) -> DeliveryReceipt:
        """Deliver one message or raise DeliveryError."""

    def secrets(self) -> list[str]:
        """Every secret value in the config, so error text can be scrubbed of them."""
        return [s for s in _secret_values(self.config) if s]

    def fail(self, why: str, retryable: bool) -> DeliveryError:
        """A DeliveryError whose text names the channel and never carries a secret."""
        return DeliveryError(redact(f"{self.name}: {why}", self.secrets()), retryable)

    async def post(
        self,
        client: httpx.AsyncClient,
        url: str,
        *,
        method: str = "POST",
        params: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> httpx.Response:
        """One HTTP request, with transport failures and statuses classified for retry."""
        try:
            response = await client.request(
                method, url, params=params, timeout=self.config.timeout, **kwargs
            )
        except httpx.TimeoutException as exc:
            raise self.fail(f"timed out ({type(exc).__name__})", retryable=True) from None
        except httpx.TransportError as exc:
            raise self.fail(f"network error: {type(exc).__name__}: {exc}", True) from None
        if response.status_code == 429 or response.status_code >= 500:
            raise self.fail(f"HTTP {response.status_code}: {_snippet(response)}", True)
        if response.status_code >= 400:
            raise self.fail(f"HTTP {response.status_code}: {_snippet(response)}", False)
        if response.status_code >= 300:  # a POST is not re-sent blindly: configure the final URL
            raise self.fail(f"HTTP {response.status_code}: redirected; use the final URL", False)
        return response

    def json_reply(self, response: httpx.Response) -> dict[str, Any]:
        """The JSON object a bot API answers with; anything else is a (retryable) glitch."""
        try:
            data = response.json()
        except ValueError:
            raise self.fail(f"answer is not JSON: {_snippet(response)}", True) from None
        if not isinstance(data, dict):
            raise self.fail(f"answer is not a JSON object: {_snippet(response)}", True)
        return data


def _secret_values(value: object) -> Iterator[str]:
    if isinstance(value, SecretStr):
        yield value.get_secret_value()
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _secret_values(getattr(value, name))
    elif isinstance(value, dict):
        for item in value.values():
            yield from _secret_values(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _secret_values(item)


def redact(text: str, secrets: list[str]) -> str:
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def _snippet(response: httpx.Response, limit: int = 200) -> str:
    return response.text[:limit].strip() or "(empty body)"


NOTIFIERS: dict[str, type[Notifier]] = {}
N = TypeVar("N", bound=type[Notifier])


def register(cls: N) -> N:
    """Class decorator: add a channel kind to the registry under its `name`."""
    existing = NOTIFIERS.get(cls.name)
    if existing is not None and existing is not cls:
        raise ConfigError(
            f"notifier kind {cls.name!r} registered twice: "
            f"{existing.__module__}.{existing.__qualname__} and {cls.__module__}.{cls.__qualname__}"
        )
    NOTIFIERS[cls.name] = cls
    return cls


_loaded = False


def load_notifier_kinds(refresh: bool = False) -> dict[str, type[Notifier]]:
    """Import the built-ins and entry-point plugins; a plugin that fails to load raises.

    `refresh` reads the entry points again (after installing a plugin at run time).
    """
    global _loaded
    if _loaded and not refresh:
        return NOTIFIERS
    for module in BUILTIN_MODULES:
        import_module(module)
    for ep in entry_points(group=ENTRY_POINT_GROUP):
        try:
            cls = ep.load()
        except Exception as exc:  # a broken plugin must be seen, not skipped
            raise ConfigError(f"notifier plugin {ep.name!r} failed to load: {exc}") from exc
        if not (isinstance(cls, type) and issubclass(cls, Notifier)):
            raise ConfigError(f"notifier plugin {ep.name!r} is not a Notifier subclass: {cls!r}")
        register(cls)
    _loaded = True
    return NOTIFIERS


def notifier_kinds() -> list[str]:
    """Names of every channel kind, built-in and plugin, sorted."""
    return sorted(load_notifier_kinds())


def build_notifier(kind: str, config: dict[str, Any]) -> Notifier:
    """Make a notifier from its kind name and config dict, with a clear error when wrong."""
    kinds = load_notifier_kinds()
    if kind not in kinds:
        raise ConfigError(f"unknown notifier kind {kind!r}; known: {', '.join(sorted(kinds))}")
    cls = kinds[kind]
    try:
        return cls(cls.Config.model_validate(config))
    except ValidationError as exc:
        problems = validation_problems(exc, kind)
        raise ConfigError(f"invalid config for {kind} notifier: {problems}") from exc
