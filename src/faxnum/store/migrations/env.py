"""Alembic environment: runs migrations on the engine faxnum itself would use."""

from alembic import context

from faxnum.store.engine import is_sqlite, make_engine
from faxnum.store.tables import metadata

url = context.config.attributes["database_url"]
engine = make_engine(url)
with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=is_sqlite(url),  # SQLite alters tables by copying them
    )
    with context.begin_transaction():
        context.run_migrations()
engine.dispose()
