"""Password hashes: Argon2id at the OWASP Password Storage Cheat Sheet's parameters.

OWASP's first choice is Argon2id with at least 19 MiB of memory, 2 passes and 1 lane; its scrypt minimum is
N=2^17, r=8, p=1. Werkzeug's default (scrypt N=2^15, r=8, p=1), which hashed passwords before, is a quarter
of that scrypt minimum, and meeting the minimum with scrypt costs 0.2-0.45 s of CPU per login, where Argon2id
at OWASP's parameters costs about 25 ms. Hashes made before still verify, and are replaced by an Argon2id
hash at their owner's next successful login.
"""
from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from werkzeug.security import check_password_hash

HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)  # memory in KiB
ARGON2_PREFIX = "$argon2"


def hash_password(password: str) -> str:
    return HASHER.hash(password)


def verify_password(stored: str, password: str) -> bool:
    """Whether ``password`` matches ``stored``, an Argon2id hash or an older Werkzeug (scrypt, pbkdf2) one."""
    if not stored.startswith(ARGON2_PREFIX):
        return check_password_hash(stored, password)
    try:
        return HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """Whether ``stored`` was made by another scheme or with other parameters than :data:`HASHER`'s."""
    return not stored.startswith(ARGON2_PREFIX) or HASHER.check_needs_rehash(stored)
