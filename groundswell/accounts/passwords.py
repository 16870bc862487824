"""Password hashing (argon2id) and the password policy."""

from __future__ import annotations

import os
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from argon2.profiles import CHEAPEST

from groundswell.accounts.errors import PasswordPolicyError

__all__ = ["MIN_LENGTH", "check_policy", "generate_password", "hash_password", "verify_password"]

MIN_LENGTH = 10
# argon2-cffi's RFC 9106 low-memory profile (about 0.3 s a hash here). The test suite,
# which creates hundreds of accounts, sets the variable below for argon2's cheapest
# parameters; it is named so that nobody sets it by accident in production.
_INSECURE_FAST = os.environ.get("GROUNDSWELL_INSECURE_FAST_PASSWORD_HASHES_FOR_TESTS") == "1"
_hasher = PasswordHasher.from_parameters(CHEAPEST) if _INSECURE_FAST else PasswordHasher()
# Hash something once so a sign-in for an unknown name costs as much as a real one.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(16))


def check_policy(name: str, password: str) -> None:
    """Refuse passwords shorter than MIN_LENGTH or equal to the account name."""
    if len(password) < MIN_LENGTH:
        raise PasswordPolicyError(f"a password needs at least {MIN_LENGTH} characters")
    if password.strip().casefold() == name.strip().casefold():
        raise PasswordPolicyError("a password must not be the account name")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> tuple[bool, str | None]:
    """(matches, new hash if the stored one used older parameters and should be replaced)."""
    try:
        _hasher.verify(stored_hash or _DUMMY_HASH, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False, None
    if stored_hash is None:
        return False, None
    if _hasher.check_needs_rehash(stored_hash):
        return True, _hasher.hash(password)
    return True, None


def generate_password() -> str:
    """A strong random password (about 120 bits), easy to copy: no look-alike characters."""
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(21))
