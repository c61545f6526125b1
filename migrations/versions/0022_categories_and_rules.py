"""Categories (per owner, optional parent), the mapping of source categories onto them, and rules.
Every category already in use on a transaction becomes one of its owner's categories. Transactions get an index
on transfer_id, so deleting many rows no longer scans the table once per row (the foreign key's SET NULL).

Revision ID: 0022
Revises: 0025
"""
import sqlalchemy as sa
from alembic import op

revision = "0022"
down_revision = "0025"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "categories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_categories_owner_id_users"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["parent_id"], ["categories.id"], name=op.f("fk_categories_parent_id_categories"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_categories")),
        sa.UniqueConstraint("owner_id", "name", name=op.f("uq_categories_owner_id_name")),
    )
    op.create_table(
        "category_mappings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=16), nullable=False),
        sa.Column("source_name", sa.String(length=120), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["category_id"], ["categories.id"],
                                name=op.f("fk_category_mappings_category_id_categories"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_category_mappings_owner_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_category_mappings")),
        sa.UniqueConstraint("owner_id", "source", "source_name",
                            name=op.f("uq_category_mappings_owner_id_source_source_name")),
    )
    op.create_index("ix_category_mappings_category_id", "category_mappings", ["category_id"], unique=False)
    op.create_table(
        "rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("match", sa.String(length=3), nullable=False),
        sa.Column("stop", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column("conditions", sa.JSON(), nullable=False),
        sa.Column("actions", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["owner_id"], ["users.id"], name=op.f("fk_rules_owner_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rules")),
    )
    op.create_index("ix_rules_owner_position", "rules", ["owner_id", "position"], unique=False)
    op.create_index("ix_transactions_transfer_id", "transactions", ["transfer_id"], unique=False)
    op.execute("INSERT INTO categories (owner_id, name) SELECT DISTINCT owner_id, category FROM transactions "
               "WHERE category IS NOT NULL AND category <> ''")


def downgrade():
    op.drop_index("ix_transactions_transfer_id", table_name="transactions")
    op.drop_index("ix_rules_owner_position", table_name="rules")
    op.drop_table("rules")
    op.drop_index("ix_category_mappings_category_id", table_name="category_mappings")
    op.drop_table("category_mappings")
    op.drop_table("categories")
