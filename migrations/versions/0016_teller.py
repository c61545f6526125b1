"""Teller: enrollments (encrypted tokens), the accounts each feeds, webhook events seen.

Revision ID: 0016
Revises: 0009
"""
import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "teller_enrollments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("enrollment_id", sa.String(length=128), nullable=False),
        sa.Column("institution", sa.String(length=120), nullable=True),
        sa.Column("access_token", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_reason", sa.String(length=255), nullable=True),
        sa.Column("last_synced_at", sa.DateTime(), nullable=True),
        sa.Column("last_result", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_teller_enrollments_owner_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teller_enrollments")),
        sa.UniqueConstraint("owner_id", "enrollment_id", name=op.f("uq_teller_enrollments_owner_id_enrollment_id")),
    )
    op.create_table(
        "teller_accounts",
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("enrollment_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], name=op.f("fk_teller_accounts_account_id_accounts"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["enrollment_id"], ["teller_enrollments.id"],
                                name=op.f("fk_teller_accounts_enrollment_id_teller_enrollments"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_teller_accounts")),
    )
    op.create_index(op.f("ix_teller_accounts_enrollment_id"), "teller_accounts", ["enrollment_id"])
    op.create_table(
        "teller_webhook_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.String(length=128), nullable=False),
        sa.Column("type", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_teller_webhook_events")),
        sa.UniqueConstraint("event_id", name=op.f("uq_teller_webhook_events_event_id")),
    )


def downgrade():
    op.drop_table("teller_webhook_events")
    op.drop_index(op.f("ix_teller_accounts_enrollment_id"), table_name="teller_accounts")
    op.drop_table("teller_accounts")
    op.drop_table("teller_enrollments")
