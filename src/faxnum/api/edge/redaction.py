"""Keys never reach a log line: redaction of text, and a filter applying it to every record."""

import logging
import re
from urllib.parse import parse_qsl, unquote, urlencode

_QUERY_KEY = re.compile(r"(?i)(api_key=)[^&\s\"']*")
_BARE_KEY = re.compile(r"fxn_[0-9A-Za-z]{4,}")
REDACTED = "[REDACTED]"
# Query parameters whose value is a secret whatever it looks like (compared decoded and
# case-insensitively, so `api%5Fkey` and `PASSWORD` are caught too).
SECRET_PARAMETERS = frozenset({"api_key", "apikey", "key", "password", "token", "secret"})


def redact(text: str) -> str:
    if "fxn_" not in text and "=" not in text:
        return text  # neither pattern can match: most log lines, at a fraction of the cost
    return _BARE_KEY.sub("fxn_" + REDACTED, _QUERY_KEY.sub(r"\1" + REDACTED, text))


def redacted_target(path: str, query: str) -> str:
    """A request's path and query as a log may show them: decoded first, so no encoding
    hides a secret, then every secret parameter's value and anything key-shaped replaced."""
    if not query and "%" not in path and "=" not in path and "fxn_" not in path:
        return path  # nothing to decode, no parameter and nothing key-shaped: as it is
    pairs = [
        (name, REDACTED if name.strip().lower() in SECRET_PARAMETERS else value)
        for name, value in parse_qsl(query, keep_blank_values=True)
    ]
    target = unquote(path) + (f"?{urlencode(pairs, safe='[]')}" if pairs else "")
    return redact(target)


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
