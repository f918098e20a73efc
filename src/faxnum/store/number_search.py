"""Finding available DIDs by a piece of their number through an index, so a vanity
search costs what it finds, not a scan of the whole inventory.

SQLite keeps an FTS5 trigram index of every DID's number (`did_numbers_fts`, filled
by triggers on `dids`); PostgreSQL a GIN trigram index (`pg_trgm`) on the numbers of
the DIDs in stock (partial, so that taking a DID writes no entry in it).
Either gives the DIDs whose number contains every literal run of three or more digits
of a pattern; the exact pattern (keypad digits, `*`, anchors) is then checked with
LIKE on those few rows.

Both are created by migration 0008 (0018 made the GIN index partial) and are not in
`tables.metadata`. SQLite triggers live on the `dids` table: a later migration that
rebuilds `dids` (batch mode) must create them again.
"""

from collections.abc import Sequence

from sqlalchemy import Column, Connection, Integer, MetaData, String, Table, select

from faxnum.store.db.tables import dids
from faxnum.store.inventory import IN_STOCK_ONLY

FTS_TABLE = "did_numbers_fts"
TRIGRAM_INDEX = "ix_dids_number_trgm"
# What the schema holds beyond the declared tables: left out of schema comparisons.
SEARCH_INDEX_OBJECTS = frozenset(
    {
        TRIGRAM_INDEX,
        FTS_TABLE,
        *(f"{FTS_TABLE}_{shadow}" for shadow in ("data", "idx", "docsize", "config", "content")),
    }
)
MIN_INDEXED_RUN = 3  # a trigram index narrows by runs of three characters or more

_fts = Table(FTS_TABLE, MetaData(), Column("rowid", Integer), Column("number", String))


def candidate_ids(connection: Connection, runs: Sequence[str], limit: int) -> list[int]:
    """The ids of up to `limit` DIDs (in stock, on PostgreSQL) whose number contains
    every run (each of digits only, at least MIN_INDEXED_RUN long), found through the
    dialect's trigram index.
    Read first and on their own, so that the search after them is a lookup by id
    whatever the planner thinks of the other filters."""
    assert runs and all(run.isdigit() and len(run) >= MIN_INDEXED_RUN for run in runs)
    if connection.dialect.name == "sqlite":
        # LIKE on the FTS5 table is answered from its trigram index (any `detail`).
        query = select(_fts.c.rowid).where(*(_fts.c.number.like(f"%{run}%") for run in runs))
    else:
        # The GIN index holds the DIDs in stock only (a DID taken writes no entry).
        query = select(dids.c.id).where(
            IN_STOCK_ONLY, *(dids.c.number.like(f"%{run}%") for run in runs)
        )
    return [int(found) for found in connection.execute(query.limit(limit)).scalars()]
