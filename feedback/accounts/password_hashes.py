"""How passwords are stored: argon2id, and older hashes upgraded when their password is seen.

Accounts made before argon2id hold werkzeug hashes (pbkdf2 or scrypt); a sign-in that proves
the password is the only moment its plain text is at hand, so that is when it is re-hashed.
"""

from __future__ import annotations

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from werkzeug.security import check_password_hash

# Named rather than left to the library's defaults, so an upgrade of argon2-cffi that changes
# them is a decision taken here; hashes made with other parameters are re-hashed at sign-in.
_HASHER = PasswordHasher.from_parameters(profiles.RFC_9106_LOW_MEMORY)
_ARGON2 = "$argon2"
_WERKZEUG = ("pbkdf2:", "scrypt:")


def hash_password(password: str) -> str:
    """The argon2id hash of `password`, with a salt of its own."""
    return _HASHER.hash(password)


def verify(stored: str, password: str) -> tuple[bool, str | None]:
    """Whether `password` matches `stored`, and a new hash to keep when `stored` is outdated."""
    if stored.startswith(_ARGON2):
        try:
            _HASHER.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False, None
        return True, hash_password(password) if _HASHER.check_needs_rehash(stored) else None
    if stored.startswith(_WERKZEUG) and check_password_hash(stored, password):
        return True, hash_password(password)
    return False, None


# Hashed once, on first use: what an unknown address is checked against.
_decoy: list[str] = []


def waste_time(password: str) -> None:
    """The work of one verification, for a request about an address with no account, so its
    answer comes as late as one about an address with an account."""
    if not _decoy:
        _decoy.append(hash_password("not anyone's password"))
    verify(_decoy[0], password)
