"""Accounts get an opening balance and date and a closed flag; every stated balance is kept; transactions
record their source and the other side of a transfer. Account names become unique per owner, ignoring case:
existing clashes are suffixed (" (2)", " (3)", ...).

Revision ID: 0012
Revises: 0020
"""
import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0020"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("opening_balance", sa.BigInteger(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("opening_date", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("closed", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("transactions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("source", sa.String(length=16), nullable=False, server_default="import"))
        batch_op.add_column(sa.Column("transfer_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_transactions_transfer_id_transactions"), "transactions",
                                    ["transfer_id"], ["id"], ondelete="SET NULL")
    op.create_table(
        "stated_balances",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=False),
        sa.Column("available", sa.BigInteger(), nullable=True),
        sa.Column("as_of", sa.DateTime(), nullable=False),
        sa.Column("gave_opening", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("reconciled_at", sa.DateTime(), nullable=True),
        sa.Column("created_at", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_stated_balances_account_id_accounts"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["batch_id"], ["import_batches.id"],
                                name=op.f("fk_stated_balances_batch_id_import_batches"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_stated_balances_owner_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stated_balances")),
    )
    op.create_index("ix_stated_balances_account_date", "stated_balances", ["account_id", "date"], unique=False)
    _keep_stated_balances()
    _open_where_stated()
    _suffix_clashing_names()


def _keep_stated_balances():
    """The balance each account states now becomes its first kept stated balance."""
    op.execute("INSERT INTO stated_balances (owner_id, account_id, date, amount, available, as_of, gave_opening) "
               "SELECT owner_id, id, CAST(balance_as_of AS DATE), COALESCE(ledger_balance, available_balance), "
               "available_balance, balance_as_of, false FROM accounts "
               "WHERE balance_as_of IS NOT NULL AND COALESCE(ledger_balance, available_balance) IS NOT NULL")


def _open_where_stated():
    """An account with a stated balance opens at that balance less its posted rows up to then, so the
    computed balance agrees with it from the start."""
    op.execute("UPDATE accounts SET opening_balance = ledger_balance - COALESCE((SELECT SUM(t.amount) "
               "FROM transactions t WHERE t.account_id = accounts.id AND t.status = 'posted' "
               "AND t.date <= CAST(accounts.balance_as_of AS DATE)), 0) "
               "WHERE ledger_balance IS NOT NULL AND balance_as_of IS NOT NULL")


def _suffix_clashing_names():
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT id, owner_id, name FROM accounts ORDER BY owner_id, id")).all()
    taken: dict[tuple[int, str], int] = {}
    for account_id, owner_id, name in rows:
        key = (owner_id, name.casefold())
        if key not in taken:
            taken[key] = 1
            continue
        number = taken[key]
        while True:
            number += 1
            candidate = f"{name[:110]} ({number})"
            if (owner_id, candidate.casefold()) not in taken:
                break
        taken[key] = number
        taken[(owner_id, candidate.casefold())] = 1
        connection.execute(sa.text("UPDATE accounts SET name = :name WHERE id = :id"),
                           {"name": candidate, "id": account_id})


def downgrade():
    op.drop_index("ix_stated_balances_account_date", table_name="stated_balances")
    op.drop_table("stated_balances")
    with op.batch_alter_table("transactions", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_transactions_transfer_id_transactions"), type_="foreignkey")
        batch_op.drop_column("transfer_id")
        batch_op.drop_column("source")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("closed")
        batch_op.drop_column("opening_date")
        batch_op.drop_column("opening_balance")
