"""ENCRYPTION_KEY rotation: re-encrypt every stored secret with the newest key."""
from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from dashboard import encryption
from dashboard.encryption import ENCRYPTED_COLUMNS, EncryptionError
from dashboard.extensions import db

keys_cli = AppGroup("keys", help="The keys that encrypt secrets at rest (ENCRYPTION_KEY).")

BATCH_ROWS = 500


@keys_cli.command("rotate")
def keys_rotate_command():
    """Re-encrypt every secret with the first (newest) key of ENCRYPTION_KEY, in one transaction.

    Put the new key in front (`ENCRYPTION_KEY=new,old`), run this, then drop the old key.
    A secret that decrypts with none of the keys stops the command and nothing is changed.
    """
    rotated = 0
    try:
        for attribute in ENCRYPTED_COLUMNS:
            rotated += _rotate_column(attribute)
    except EncryptionError as error:
        db.session.rollback()
        raise click.ClickException(f"{error}; nothing was re-encrypted") from None
    db.session.commit()
    click.echo(f"re-encrypted {rotated} secrets in {len(ENCRYPTED_COLUMNS)} columns with the newest key")


def _rotate_column(attribute) -> int:
    model, name = attribute.class_, attribute.key
    rows = db.session.scalars(select(model).where(attribute.is_not(None)).execution_options(yield_per=BATCH_ROWS))
    count = 0
    for row in rows:
        try:
            setattr(row, name, encryption.rotate(getattr(row, name)))
        except EncryptionError:
            raise EncryptionError(f"{model.__tablename__}.{name} of row {row.id} does not decrypt with any "
                                  "ENCRYPTION_KEY key") from None
        count += 1
    return count


COMMANDS = (keys_cli,)
