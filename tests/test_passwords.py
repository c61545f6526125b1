"""Password hashes meet OWASP's guidance, and hashes made before still sign their owners in, then are replaced."""
from argon2 import extract_parameters
from werkzeug.security import generate_password_hash

from dashboard.passwords import HASHER, hash_password, needs_rehash, verify_password
from tests import factories


def test_new_hashes_are_argon2id_at_least_at_owasps_parameters():
    stored = hash_password(factories.PASSWORD)
    parameters = extract_parameters(stored)
    assert stored.startswith("$argon2id$")
    assert parameters.memory_cost >= 19 * 1024 and parameters.time_cost >= 2 and parameters.parallelism >= 1
    assert verify_password(stored, factories.PASSWORD)
    assert not verify_password(stored, factories.PASSWORD + "!")
    assert not needs_rehash(stored)


def test_a_damaged_or_foreign_hash_verifies_nothing():
    assert not verify_password("$argon2id$v=19$m=19456,t=2,p=1$not-base64", factories.PASSWORD)
    assert needs_rehash(generate_password_hash(factories.PASSWORD))
    weaker = type(HASHER)(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash(factories.PASSWORD)
    assert verify_password(weaker, factories.PASSWORD) and needs_rehash(weaker)


def test_a_user_with_an_older_scrypt_hash_still_logs_in_and_gets_an_argon2id_hash(client, db, user):
    user.password_hash = generate_password_hash(factories.PASSWORD)  # werkzeug's scrypt, as stored before
    db.session.commit()

    assert factories.log_in(client, user.email, "not the password").status_code == 200
    assert user.password_hash.startswith("scrypt:")
    assert factories.log_in(client, user.email).status_code == 302
    db.session.refresh(user)
    assert user.password_hash.startswith("$argon2id$")
    client.post("/logout")
    assert factories.log_in(client, user.email).status_code == 302
