"""Each transaction may keep the running balance its source stated; a stated balance may be an opening one;
account names become unique per owner ignoring case in the database itself (clashes left since 0012 are
suffixed " (2)", " (3)", ... first); uncertain pending-to-posted Teller matches wait for the user in
teller_match_reviews.

Revision ID: 0025
Revises: 0012
"""
import sqlalchemy as sa
from alembic import op

revision = "0025"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("transactions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stated_balance", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("stated_balances", schema=None) as batch_op:
        batch_op.add_column(sa.Column("opening", sa.Boolean(), nullable=False, server_default=sa.false()))
    _suffix_clashing_names()
    op.create_index("uq_accounts_owner_id_lower_name", "accounts", ["owner_id", sa.text("lower(name)")], unique=True)
    op.create_table(
        "teller_match_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("pending_id", sa.Integer(), nullable=False),
        sa.Column("posted_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"],
                                name=op.f("fk_teller_match_reviews_account_id_accounts"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_teller_match_reviews_owner_id_users"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["pending_id"], ["transactions.id"],
                                name=op.f("fk_teller_match_reviews_pending_id_transactions"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["posted_id"], ["transactions.id"],
                                name=op.f("fk_teller_match_reviews_posted_id_transactions"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teller_match_reviews")),
        sa.UniqueConstraint("pending_id", name=op.f("uq_teller_match_reviews_pending_id")),
    )
    op.create_index(op.f("ix_teller_match_reviews_account_id"), "teller_match_reviews", ["account_id"])
    op.create_index(op.f("ix_teller_match_reviews_posted_id"), "teller_match_reviews", ["posted_id"])
    op.create_index("ix_teller_match_reviews_owner_status", "teller_match_reviews", ["owner_id", "status"])


def _suffix_clashing_names():
    """The second and later accounts of one owner whose names differ only in case get " (2)", " (3)", ...,
    keeping the oldest account's name as it is."""
    connection = op.get_bind()
    rows = connection.execute(sa.text("SELECT id, owner_id, name FROM accounts ORDER BY owner_id, id")).all()
    taken = {(owner_id, name.lower()) for _, owner_id, name in rows}
    seen: set[tuple[int, str]] = set()
    for account_id, owner_id, name in rows:
        key = (owner_id, name.lower())
        if key not in seen:
            seen.add(key)
            continue
        number = 2
        while (owner_id, f"{name[:110]} ({number})".lower()) in taken:
            number += 1
        candidate = f"{name[:110]} ({number})"
        taken.add((owner_id, candidate.lower()))
        seen.add((owner_id, candidate.lower()))
        connection.execute(sa.text("UPDATE accounts SET name = :name WHERE id = :id"),
                           {"name": candidate, "id": account_id})


def downgrade():
    op.drop_index("ix_teller_match_reviews_owner_status", table_name="teller_match_reviews")
    op.drop_index(op.f("ix_teller_match_reviews_posted_id"), table_name="teller_match_reviews")
    op.drop_index(op.f("ix_teller_match_reviews_account_id"), table_name="teller_match_reviews")
    op.drop_table("teller_match_reviews")
    op.drop_index("uq_accounts_owner_id_lower_name", table_name="accounts")
    with op.batch_alter_table("stated_balances", schema=None) as batch_op:
        batch_op.drop_column("opening")
    with op.batch_alter_table("transactions", schema=None) as batch_op:
        batch_op.drop_column("stated_balance")
