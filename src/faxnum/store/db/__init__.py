"""The database machinery: engines and sessions, the unit of work, group commit, the
checkpointer, statements on the driver's cursor, the schema and its migrations. The
repositories beside this package hold the SQL of each business area."""
