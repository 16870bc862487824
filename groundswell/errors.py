"""One small exception hierarchy, so callers can route failures by kind."""

from __future__ import annotations


class GroundswellError(Exception):
    """Base of every error Groundswell raises on purpose."""


class ConfigError(GroundswellError):
    """A setting, source config or plugin is invalid."""


class FetchError(GroundswellError):
    """A source could not be fetched; the message says why, for source health."""


class BlockedAddressError(FetchError):
    """The SSRF guard refused an address (private, loopback, link-local...)."""


class RobotsDisallowedError(FetchError):
    """robots.txt forbids fetching this URL with our User-Agent."""


class BodyTooLargeError(FetchError):
    """The response body exceeded the configured maximum size."""


class HttpStatusError(FetchError):
    """The server answered with a non-success status after retries."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class ParseError(GroundswellError):
    """A payload (feed, page, file row) could not be parsed at all."""


class QuarantineError(GroundswellError):
    """One item is bad; it is kept in quarantine with this reason and the batch goes on."""


class QueryError(GroundswellError):
    """A search query is malformed; `position` points at the problem when known."""

    def __init__(self, message: str, position: int | None = None) -> None:
        super().__init__(message)
        self.position = position


def validation_problems(exc: Exception, root: str) -> str:
    """A pydantic ValidationError as one line, `field: problem; ...` (for ConfigError texts)."""
    errors = getattr(exc, "errors", None)
    if errors is None:
        return str(exc)
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or root}: {e['msg']}" for e in errors())
