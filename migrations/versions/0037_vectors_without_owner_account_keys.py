"""Transaction vectors keep their owner and account without foreign keys: the transaction's own key already
guarantees both (a vector goes with its transaction, and a transaction with its account and owner), and the two
extra checks a row were about a third of what the vectors add to an import on PostgreSQL.

SQLite copies the table to drop a key; the table is written out here (as 0029 made it) so the copy reflects
nothing, not even the tables its keys refer to.

Revision ID: 0037
Revises: 0029
"""
import sqlalchemy as sa
from alembic import op

revision = "0037"
down_revision = "0036"
branch_labels = None
depends_on = None

REFERENCES = (("owner_id", "users"), ("account_id", "accounts"))


def _key_name(column: str, table: str) -> str:
    return f"fk_transaction_vectors_{column}_{table}"


def _vectors_table(with_owner_and_account_keys: bool) -> sa.Table:
    def reference(column, table):
        return ([sa.ForeignKey(f"{table}.id", ondelete="CASCADE", name=_key_name(column, table))]
                if with_owner_and_account_keys else [])
    return sa.Table(
        "transaction_vectors", sa.MetaData(),
        sa.Column("transaction_id", sa.Integer,
                  sa.ForeignKey("transactions.id", ondelete="CASCADE", name=_key_name("transaction_id", "transactions")),
                  primary_key=True),
        *(sa.Column(column, sa.Integer, *reference(column, table), nullable=False) for column, table in REFERENCES),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("embedding", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("transaction_id", name="pk_transaction_vectors"),
        sa.Index("ix_transaction_vectors_owner_id", "owner_id"),
    )


def upgrade():
    with op.batch_alter_table("transaction_vectors", copy_from=_vectors_table(True)) as batch_op:
        for column, table in REFERENCES:
            batch_op.drop_constraint(_key_name(column, table), type_="foreignkey")


def downgrade():
    with op.batch_alter_table("transaction_vectors", copy_from=_vectors_table(False)) as batch_op:
        for column, table in REFERENCES:
            batch_op.create_foreign_key(_key_name(column, table), table, [column], ["id"], ondelete="CASCADE")
