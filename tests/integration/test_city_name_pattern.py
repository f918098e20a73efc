"""`cityNamePattern` as the stores evaluate it: anchored at the start, `%` the only
wildcard, `_` literal, case-insensitive on input."""

import pytest
from sqlalchemy import String, literal, select

from faxnum.domain.catalogue import CityPattern
from faxnum.store.catalogue import city_matches, like_pattern
from faxnum.store.db.database import Database


@pytest.mark.parametrize(
    ("pattern", "city", "matches"),
    [
        ("New York%", "NEW YORK", True),
        ("New York%", "NEW YORK MILLS", True),
        ("w York%", "NEW YORK", False),
        ("new york", "NEW YORK", True),
        ("new york", "NEW YORK MILLS", False),
        ("N%K", "NEW YORK", True),
        ("N_W%", "NEW YORK", False),
        ("%", "ANYWHERE", True),
        ("MONTRÉAL%", "MONTRÉAL", True),
    ],
)
def test_city_name_patterns_filter_in_the_store(
    database: Database, pattern: str, city: str, matches: bool
) -> None:
    """The filter `/didgroups?cityNamePattern=` applies, on each store's own LIKE."""
    query = select(
        city_matches(literal(city, String), literal(like_pattern(CityPattern(pattern)), String))
    )
    with database.read_engine.connect() as connection:
        assert bool(connection.execute(query).scalar_one()) is matches
