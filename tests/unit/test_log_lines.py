"""The access log's handler: lines leave the request's path, and still come out whole,
in order, soon, and all of them when the process stops."""

import io
import logging
import os
import time
from pathlib import Path

from faxnum.api.edge.log_lines import PIPE_BUF, BatchedLines, _chunks
from tests.waiting import STUCK_AFTER_S


def _logger(handler: logging.Handler, name: str) -> logging.Logger:
    logger = logging.getLogger(name)
    logger.propagate = False
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    return logger


def test_every_line_is_written_whole_and_in_order_by_the_close(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with out.open("w") as stream:
        handler = BatchedLines(stream, interval_s=3600)  # only the close writes
        logger = _logger(handler, "test.log_lines.order")
        for n in range(5_000):
            logger.info('{"n": %d, "text": "é"}', n)
        handler.close()
        logger.removeHandler(handler)

    lines = out.read_text(encoding="utf-8").splitlines()
    assert lines == [f'{{"n": {n}, "text": "é"}}' for n in range(5_000)]


def test_lines_come_out_without_waiting_for_the_close(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with out.open("w") as stream:
        handler = BatchedLines(stream, interval_s=0.01)
        logger = _logger(handler, "test.log_lines.soon")
        logger.info("first")
        deadline = time.monotonic() + STUCK_AFTER_S
        while out.read_text() != "first\n" and time.monotonic() < deadline:
            time.sleep(0.01)
        written = out.read_text()
        handler.close()
        logger.removeHandler(handler)
    assert written == "first\n"


def test_a_full_batch_is_written_before_its_interval_ends(tmp_path: Path) -> None:
    out = tmp_path / "out"
    with out.open("w") as stream:
        handler = BatchedLines(stream, interval_s=3600, high_water=1_000)
        logger = _logger(handler, "test.log_lines.full")
        for _ in range(20):
            logger.info("x" * 99)  # 100 bytes a line
        deadline = time.monotonic() + STUCK_AFTER_S
        while os.path.getsize(out) < 1_000 and time.monotonic() < deadline:
            time.sleep(0.01)
        written = os.path.getsize(out)
        handler.close()
        logger.removeHandler(handler)
    assert written >= 1_000


def test_writes_hold_whole_lines_and_stay_within_one_atomic_pipe_write() -> None:
    lines = [f"{n:05d}" + "y" * (n % 300) + "\n" for n in range(2_000)]
    long_line = "z" * (PIPE_BUF * 2) + "\n"

    chunks = _chunks([*lines, long_line, "after\n"])

    assert b"".join(chunks) == "".join([*lines, long_line, "after\n"]).encode()
    assert all(chunk.endswith(b"\n") for chunk in chunks)
    assert all(len(chunk) <= PIPE_BUF for chunk in chunks if chunk != long_line.encode())
    assert long_line.encode() in chunks  # alone, never cut


def test_a_stream_without_a_descriptor_gets_the_lines_too() -> None:
    stream = io.StringIO()
    handler = BatchedLines(stream, interval_s=3600)
    logger = _logger(handler, "test.log_lines.memory")
    logger.info("kept")
    handler.close()
    logger.removeHandler(handler)
    assert stream.getvalue() == "kept\n"
