"""Keys never reach a log line: redaction of text, and a filter applying it to every record."""

import logging
import re

_QUERY_KEY = re.compile(r"(?i)(api_key=)[^&\s\"']*")
_BARE_KEY = re.compile(r"fxn_[0-9A-Za-z]{4,}")
REDACTED = "[REDACTED]"


def redact(text: str) -> str:
    return _BARE_KEY.sub("fxn_" + REDACTED, _QUERY_KEY.sub(r"\1" + REDACTED, text))


class RedactKeys(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        return True


def install_redaction(*logger_names: str) -> None:
    for name in logger_names:
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactKeys) for f in logger.filters):
            logger.addFilter(RedactKeys())
