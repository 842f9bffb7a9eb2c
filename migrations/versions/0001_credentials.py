"""The credentials table: one row per (provider, account).

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "credentials",
        sa.Column("provider", sa.Text, nullable=False),
        sa.Column("account", sa.Text, nullable=False),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("api_key", sa.Text),
        sa.Column("access_token", sa.Text),
        sa.Column("refresh_token", sa.Text),
        sa.Column("custom_data", sa.Text),
        sa.Column("expires_at", sa.Integer),
        sa.Column("account_id", sa.Text),
        sa.Column("enterprise_url", sa.Text),
        sa.Column("scopes", sa.Text),
        sa.Column("needs_login", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("activation", sa.Integer, nullable=False, server_default="0"),
        sa.Column("created_at", sa.Integer, nullable=False),
        sa.Column("updated_at", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("provider", "account"),
        sa.CheckConstraint("type IN ('api_key', 'oauth', 'custom')", name="known_type"),
    )
    op.create_index("credentials_active", "credentials", ["provider", "activation"])


def downgrade() -> None:
    op.drop_index("credentials_active", "credentials")
    op.drop_table("credentials")
