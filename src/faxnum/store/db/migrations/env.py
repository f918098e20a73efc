"""Alembic environment: runs migrations on the engine faxnum itself would use.

On SQLite, foreign keys are off while migrating (batch mode copies tables, and
enforcement would cascade or refuse the copy) and checked afterwards instead.
"""

from alembic import context
from sqlalchemy import text

from faxnum.store.db.engine import is_sqlite, make_engine
from faxnum.store.db.schema import metadata
from faxnum.store.number_search import SEARCH_INDEX_OBJECTS

url = context.config.attributes["database_url"]
sqlite = is_sqlite(url)
engine = make_engine(url, foreign_keys=not sqlite)
with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=sqlite,
        include_name=lambda name, *_: name not in SEARCH_INDEX_OBJECTS,  # not in metadata
    )
    with context.begin_transaction():
        context.run_migrations()
    if sqlite:
        broken = connection.execute(text("PRAGMA foreign_key_check")).all()
        connection.commit()
        if broken:
            raise RuntimeError(f"migration left rows breaking foreign keys: {broken[:5]}")
engine.dispose()
