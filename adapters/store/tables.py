"""The store's tables as SQLAlchemy Core sees them. Alembic migrations create them.

Secret columns (api_key, access_token, refresh_token, custom_data) hold the only
secrets; every other column may be read without one (provider, account, type,
expiry, status, which account is active).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, CheckConstraint, Column, Integer, MetaData, Table, Text

metadata = MetaData()

credentials = Table(
    "credentials",
    metadata,
    Column("provider", Text, primary_key=True),
    Column("account", Text, primary_key=True),
    Column("type", Text, nullable=False),
    Column("api_key", Text),
    Column("access_token", Text),
    Column("refresh_token", Text),
    Column("custom_data", Text),
    Column("expires_at", BigInteger),
    Column("account_id", Text),
    Column("enterprise_url", Text),
    Column("scopes", Text),
    Column("api_url", Text),
    Column("has_refresh_token", Boolean, nullable=False, default=False),
    Column("needs_login", Boolean, nullable=False, default=False),
    Column("activation", BigInteger, nullable=False, default=0),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

store_meta = Table(
    "store_meta",
    metadata,
    Column("name", Text, primary_key=True),
    Column("value", Text, nullable=False),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True),
    Column("at", BigInteger, nullable=False),
    Column("os_user", Text),
    Column("host", Text),
    Column("db_user", Text),
    Column("action", Text, nullable=False),
    Column("provider", Text),
    Column("account", Text),
    Column("outcome", Text, nullable=False),
    CheckConstraint("outcome IN ('ok', 'refused', 'failed')", name="known_outcome"),
)
