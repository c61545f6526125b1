"""A Teller enrollment's sync claim (one sync of a connection at a time, on any worker), and the source of the
rows earlier syncs stored as "import".

Revision ID: 0036
Revises: 0029
"""
import sqlalchemy as sa
from alembic import op

revision = "0036"
down_revision = "0029"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("teller_enrollments") as batch:
        batch.add_column(sa.Column("sync_started_at", sa.DateTime(), nullable=True))
    op.execute("UPDATE transactions SET source = 'teller' WHERE source = 'import' AND account_id IN "
               "(SELECT account_id FROM teller_accounts)")


def downgrade():
    op.execute("UPDATE transactions SET source = 'import' WHERE source = 'teller'")
    with op.batch_alter_table("teller_enrollments") as batch:
        batch.drop_column("sync_started_at")
