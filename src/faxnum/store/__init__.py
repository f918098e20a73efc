"""Storage: SQLAlchemy tables, engines, the unit of work and its queries."""
