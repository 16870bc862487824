"""Errors of the accounts domain (all GroundswellErrors, so the CLI prints them cleanly)."""

from __future__ import annotations

from groundswell.errors import GroundswellError


class AccountError(GroundswellError):
    """An account operation was refused: unknown user, taken name, bad role..."""


class PasswordPolicyError(AccountError):
    """A new password is too short or equals the account name."""


class AuthError(GroundswellError):
    """Sign-in failed. One generic message whatever the reason, so names cannot be probed."""

    def __init__(self, message: str = "wrong name or password") -> None:
        super().__init__(message)


class RateLimited(GroundswellError):
    """Too many failed sign-ins; try again after `retry_after` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed sign-ins; try again in {retry_after} s")
        self.retry_after = retry_after
