"""`flask keys rotate`: every registered encrypted column re-encrypted with the newest ENCRYPTION_KEY key."""
from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import String, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from dashboard import encryption

OLD_KEY, NEW_KEY = Fernet.generate_key().decode(), Fernet.generate_key().decode()


class _Base(DeclarativeBase):
    pass


class Vault(_Base):
    """A throwaway table standing for any model that registers an encrypted column (Teller tokens, TOTP)."""
    __tablename__ = "test_rotation_vault"
    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str | None] = mapped_column(String(500))


@pytest.fixture
def vault(app, db, monkeypatch):
    """The table, created inside the test's rolled-back transaction, and registered as encrypted."""
    _Base.metadata.create_all(db.session.connection())
    monkeypatch.setattr(encryption, "ENCRYPTED_COLUMNS", [])
    encryption.register_encrypted_column(Vault.token)
    encryption.register_encrypted_column(Vault.token)
    monkeypatch.setattr("dashboard.cli.keys.ENCRYPTED_COLUMNS", encryption.ENCRYPTED_COLUMNS)
    return Vault


def _with_key(app, monkeypatch, setting: str) -> None:
    monkeypatch.setitem(app.config, "ENCRYPTION_KEY", setting)
    encryption.init_app(app)


def test_rotate_re_encrypts_every_secret_with_the_newest_key(app, db, runner, vault, monkeypatch):
    _with_key(app, monkeypatch, OLD_KEY)
    db.session.add_all([vault(token=encryption.encrypt(f"secret {n}")) for n in range(3)] + [vault(token=None)])
    db.session.flush()
    _with_key(app, monkeypatch, f"{NEW_KEY},{OLD_KEY}")

    result = runner.invoke(args=["keys", "rotate"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "re-encrypted 3 secrets in 1 columns with the newest key"

    _with_key(app, monkeypatch, NEW_KEY)
    db.session.expire_all()
    tokens = db.session.scalars(select(vault.token).where(vault.token.is_not(None)).order_by(vault.id)).all()
    assert [encryption.decrypt(token) for token in tokens] == ["secret 0", "secret 1", "secret 2"]


def test_a_secret_no_key_opens_stops_rotation_and_changes_nothing(app, db, runner, vault, monkeypatch):
    _with_key(app, monkeypatch, OLD_KEY)
    good = vault(token=encryption.encrypt("kept"))
    foreign = vault(token=Fernet(Fernet.generate_key()).encrypt(b"lost").decode())
    db.session.add_all([good, foreign])
    db.session.flush()
    before = good.token
    _with_key(app, monkeypatch, f"{NEW_KEY},{OLD_KEY}")

    result = runner.invoke(args=["keys", "rotate"])
    assert result.exit_code == 1
    assert f"test_rotation_vault.token of row {foreign.id} does not decrypt" in result.output
    assert "nothing was re-encrypted" in result.output and "Traceback" not in result.output
    assert OLD_KEY not in result.output and NEW_KEY not in result.output
    db.session.expire_all()
    assert db.session.get(vault, good.id).token == before
