"""Audit events form a hash chain: each stores the previous event's hash and its own; older events are chained
in id order.

Revision ID: 0009
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

from dashboard.audit import GENESIS_HASH, event_hash

revision = "0009"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
    events = sa.table("audit_events", sa.column("id", sa.Integer), sa.column("action", sa.String),
                      sa.column("actor_id", sa.Integer), sa.column("owner_id", sa.Integer),
                      sa.column("target", sa.String), sa.column("details", sa.JSON),
                      sa.column("remote_addr", sa.String), sa.column("created_at", sa.DateTime),
                      sa.column("prev_hash", sa.String), sa.column("hash", sa.String))
    connection = op.get_bind()
    previous = GENESIS_HASH
    for row in connection.execute(sa.select(events).order_by(events.c.id)).mappings().all():
        digest = event_hash(row["action"], row["actor_id"], row["owner_id"], row["target"], row["details"],
                            row["remote_addr"], row["created_at"], previous)
        connection.execute(events.update().where(events.c.id == row["id"]).values(prev_hash=previous, hash=digest))
        previous = digest
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.alter_column("prev_hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.alter_column("hash", existing_type=sa.String(length=64), nullable=False)
        batch_op.create_unique_constraint(batch_op.f("uq_audit_events_hash"), ["hash"])


def downgrade():
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_audit_events_hash"), type_="unique")
        batch_op.drop_column("hash")
        batch_op.drop_column("prev_hash")
