"""Audit events carry the owner of the data apart from the actor, and one vocabulary of dotted actions.

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

RENAMED_ACTIONS = {
    "login": "auth.login",
    "login_failed": "auth.login_failed",
    "logout": "auth.logout",
    "password_changed": "auth.password_changed",
    "import": "import.create",
    "transaction.bulk_category": "transaction.categorise",
}
OWNED_BY_ACTOR = ("account.create", "transaction.edit", "transaction.categorise", "import.create", "import.undo")


def upgrade():
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_audit_events_owner_id"), ["owner_id"], unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_audit_events_owner_id_users"), "users", ["owner_id"], ["id"],
                                    ondelete="SET NULL")
    events = sa.table("audit_events", sa.column("action", sa.String), sa.column("actor_id", sa.Integer),
                      sa.column("owner_id", sa.Integer))
    for old, new in RENAMED_ACTIONS.items():
        op.execute(events.update().where(events.c.action == old).values(action=new))
    # Until now every change to data was made by its owner.
    op.execute(events.update().where(events.c.action.in_(OWNED_BY_ACTOR)).values(owner_id=events.c.actor_id))


def downgrade():
    events = sa.table("audit_events", sa.column("action", sa.String))
    for old, new in RENAMED_ACTIONS.items():
        op.execute(events.update().where(events.c.action == new).values(action=old))
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_audit_events_owner_id_users"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_audit_events_owner_id"))
        batch_op.drop_column("owner_id")
