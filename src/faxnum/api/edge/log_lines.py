"""A log handler that writes its lines in batches, off the request's path.

A stream handler writes and flushes every line as it comes: one system call per request
on the event loop, and, when standard output is a terminal or a pipe, a wake-up of the
reader for each line too, both on the cores that serve. This one only appends the line
to a list; a thread writes what has gathered every `interval_s`, or at once when it
passes `high_water` bytes, in writes of whole lines no larger than `PIPE_BUF`, so that
lines of several worker processes sharing one pipe never interleave within a line. What
is still gathered when the process ends is written by `close` (logging's shutdown at
exit, or a worker's orderly stop).
"""

import contextlib
import logging
import os
import select
import threading
from typing import IO

PIPE_BUF = getattr(select, "PIPE_BUF", 4096)


class BatchedLines(logging.Handler):
    def __init__(
        self, stream: IO[str], interval_s: float = 0.05, high_water: int = 256 * 1024
    ) -> None:
        super().__init__()
        self._stream = stream
        self._interval_s = interval_s
        self._high_water = high_water
        self._lines: list[str] = []
        self._size = 0
        self._gathered = threading.Lock()
        self._writing = threading.Lock()
        self._due = threading.Event()
        self._closed = False
        self._writer = threading.Thread(
            target=self._write_forever, name="faxnum-log-lines", daemon=True
        )
        self._writer.start()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record) + "\n"
        except Exception:  # noqa: BLE001  # logging's own convention: report, never raise
            self.handleError(record)
            return
        with self._gathered:
            self._lines.append(line)
            self._size += len(line)
            full = self._size >= self._high_water
        if full:
            self._due.set()

    def flush(self) -> None:
        with self._writing:  # one batch at a time, in the order they were gathered
            with self._gathered:
                lines, self._lines, self._size = self._lines, [], 0
            if lines:
                self._write(lines)

    def close(self) -> None:
        self._closed = True
        self._due.set()
        if self._writer.is_alive() and threading.current_thread() is not self._writer:
            self._writer.join(timeout=5)
        self.flush()
        super().close()

    def _write_forever(self) -> None:
        while not self._closed:
            self._due.wait(self._interval_s)
            self._due.clear()
            with contextlib.suppress(OSError):  # the reader went away: serving goes on
                self.flush()

    def _write(self, lines: list[str]) -> None:
        try:
            descriptor = self._stream.fileno()
        except (AttributeError, OSError, ValueError):  # not a file: a test's StringIO
            self._stream.write("".join(lines))
            self._stream.flush()
            return
        self._stream.flush()  # anything written to it the ordinary way goes first
        for chunk in _chunks(lines):
            view = memoryview(chunk)
            while view:
                view = view[os.write(descriptor, view) :]


def _chunks(lines: list[str]) -> list[bytes]:
    """Whole lines joined into pieces of at most PIPE_BUF bytes (a longer line alone)."""
    data = "".join(lines).encode("utf-8", "backslashreplace")
    chunks: list[bytes] = []
    start = 0
    while len(data) - start > PIPE_BUF:
        end = data.rfind(b"\n", start, start + PIPE_BUF) + 1  # the last whole line that fits
        if end <= start:  # a line longer than PIPE_BUF: alone
            end = data.index(b"\n", start) + 1
        chunks.append(data[start:end])
        start = end
    if start < len(data):
        chunks.append(data[start:])
    return chunks
