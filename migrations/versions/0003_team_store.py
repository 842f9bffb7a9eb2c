"""Ready for a team store and for what providers tell about a credential.

- `credentials.api_url`: where this credential's API requests go when the provider said so
  (the Copilot token's `endpoints.api`, SPEC section 9).
- `credentials.has_refresh_token`: whether a refresh token is stored, readable without the
  `refresh_token` column itself, which a read-only team member may not select (SPEC 13).
- `audit_log`: one row per change (and, where enabled, per read), never a secret; on
  PostgreSQL `at` and `db_user` are filled by the server.
- On PostgreSQL, the time and ordering columns become BIGINT (INTEGER there is 32 bits;
  SQLite's INTEGER is already 64).

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_WIDE_COLUMNS = ("expires_at", "activation", "created_at", "updated_at")


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    with op.batch_alter_table("credentials") as batch:
        batch.add_column(sa.Column("api_url", sa.Text))
        batch.add_column(
            sa.Column("has_refresh_token", sa.Boolean, nullable=False, server_default=sa.false())
        )
        if postgresql:
            for column in _WIDE_COLUMNS:
                batch.alter_column(column, type_=sa.BigInteger, existing_type=sa.Integer)
    op.execute("UPDATE credentials SET has_refresh_token = (refresh_token IS NOT NULL)")
    op.create_table(
        "audit_log",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=True
        ),
        sa.Column(
            "at",
            sa.BigInteger,
            nullable=False,
            server_default=sa.text(
                "(EXTRACT(EPOCH FROM now())::bigint)"
                if postgresql
                else "(CAST(strftime('%s', 'now') AS INTEGER))"
            ),
        ),
        sa.Column("os_user", sa.Text),
        sa.Column("host", sa.Text),
        sa.Column("db_user", sa.Text, server_default=sa.text("session_user") if postgresql else None),
        sa.Column("action", sa.Text, nullable=False),
        sa.Column("provider", sa.Text),
        sa.Column("account", sa.Text),
        sa.Column("outcome", sa.Text, nullable=False),
        sa.CheckConstraint(
            "action IN ('login', 'logout', 'switch', 'import', 'export', 'refresh', 'key-rotate', 'read')",
            name="known_action",
        ),
        sa.CheckConstraint("outcome IN ('ok', 'refused', 'failed')", name="known_outcome"),
    )
    op.create_index("audit_log_at", "audit_log", ["at"])


def downgrade() -> None:
    op.drop_index("audit_log_at", "audit_log")
    op.drop_table("audit_log")
    with op.batch_alter_table("credentials") as batch:
        batch.drop_column("has_refresh_token")
        batch.drop_column("api_url")
