"""The store's tables as SQLAlchemy Core sees them. Alembic migrations create them.

Secret columns (api_key, access_token, refresh_token, custom_data) hold the only
secrets; every other column may be read without one (provider, account, type,
expiry, status, which account is active).
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Integer, MetaData, Table, Text

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
    Column("expires_at", Integer),
    Column("account_id", Text),
    Column("enterprise_url", Text),
    Column("scopes", Text),
    Column("needs_login", Boolean, nullable=False, default=False),
    Column("activation", Integer, nullable=False, default=0),
    Column("created_at", Integer, nullable=False),
    Column("updated_at", Integer, nullable=False),
)
