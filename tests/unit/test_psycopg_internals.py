"""What the PostgreSQL hot path takes from psycopg below its cursors
(`store/db/postgres_pipeline.py`): libpq's pipeline calls, psycopg's generators and
waits, its `Transformer`. An upgrade that changes any of it fails here, naming what to
check, before it can fail a request (the integration tests then show how)."""

import inspect

import psycopg
from psycopg import generators
from psycopg.adapt import PyFormat, Transformer
from psycopg.errors import error_from_result
from psycopg.pq import ExecStatus, PGconn

UPGRADE = "a psycopg upgrade changed what faxnum.store.db.postgres_pipeline relies on: "


def test_libpq_s_pipeline_calls_are_still_on_the_connection() -> None:
    for call in (
        "enter_pipeline_mode",
        "exit_pipeline_mode",
        "pipeline_sync",
        "send_prepare",
        "send_query_prepared",
        "send_query_params",
        "finish",
    ):
        assert callable(getattr(PGconn, call, None)), UPGRADE + f"PGconn.{call} is gone"
    assert hasattr(PGconn, "pipeline_status"), UPGRADE + "PGconn.pipeline_status is gone"
    for status in ("FATAL_ERROR", "PIPELINE_ABORTED", "PIPELINE_SYNC"):
        assert hasattr(ExecStatus, status), UPGRADE + f"ExecStatus.{status} is gone"


def test_the_generators_and_the_wait_still_drive_a_sent_query() -> None:
    for generator in ("send", "fetch_many"):
        assert callable(getattr(generators, generator, None)), (
            UPGRADE + f"psycopg.generators.{generator} is gone"
        )
    assert "gen" in inspect.signature(psycopg.Connection.wait).parameters, (
        UPGRADE + "Connection.wait no longer takes a generator"
    )


def test_the_transformer_still_converts_values_and_rows() -> None:
    transformer = Transformer(None)
    dumped = transformer.dump_sequence([1, "a", None], [PyFormat.TEXT] * 3)
    assert [bytes(value) if value is not None else None for value in dumped] == [
        b"1",
        b"a",
        None,
    ], UPGRADE + "Transformer.dump_sequence no longer gives each value's text"
    for call in ("set_pgresult", "load_rows"):
        assert callable(getattr(transformer, call, None)), UPGRADE + f"Transformer.{call} is gone"
    assert "encoding" in inspect.signature(error_from_result).parameters, (
        UPGRADE + "error_from_result no longer takes the connection's encoding"
    )
