"""Persistence: one schema, Alembic migrations, one module per aggregate, connection URLs and health."""
