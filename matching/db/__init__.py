"""Storage: metadata, engine and sessions, models and the Alembic migrations."""
