"""Secrets at rest: the store_meta table, and every plaintext secret sealed with AES-256-GCM.

A data migration: rows written by revision 0001 hold secrets in the clear; each
secret column is sealed in this one transaction, so a store is either all plain
(0001) or all sealed (0002). The sealing itself comes from the migrator
(`seal` attribute), which knows where the key lives; `meta` rows record how
secrets are protected.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

SECRET_COLUMNS = ("api_key", "access_token", "refresh_token", "custom_data")


def upgrade() -> None:
    op.create_table(
        "store_meta",
        sa.Column("name", sa.Text, primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    attributes = op.get_context().config.attributes
    meta = attributes.get("meta") or {}
    if meta:
        op.get_bind().execute(
            sa.text("INSERT INTO store_meta (name, value) VALUES (:name, :value)"),
            [{"name": name, "value": value} for name, value in meta.items()],
        )
    connection = op.get_bind()
    rows = (
        connection.execute(sa.text(f"SELECT provider, account, {', '.join(SECRET_COLUMNS)} FROM credentials"))
        .mappings()
        .all()
    )
    if not rows:
        return
    seal = attributes.get("seal")
    if seal is None:
        raise RuntimeError("sealing existing secrets needs the migrator's `seal` attribute")
    for row in rows:
        values = {
            column: None
            if row[column] is None
            else seal(row["provider"], row["account"], column, row[column])
            for column in SECRET_COLUMNS
        }
        connection.execute(
            sa.text(
                "UPDATE credentials SET api_key = :api_key, access_token = :access_token, "
                "refresh_token = :refresh_token, custom_data = :custom_data "
                "WHERE provider = :provider AND account = :account"
            ),
            {**values, "provider": row["provider"], "account": row["account"]},
        )


def downgrade() -> None:
    raise NotImplementedError("secrets are not decrypted back into the store; use `auth export`")
