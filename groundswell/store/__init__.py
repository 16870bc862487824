"""Storage: SQLAlchemy tables, Alembic migrations, repositories and search backends."""
