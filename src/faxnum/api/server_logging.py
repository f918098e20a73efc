"""Logging for `serve`: uvicorn's own, plus the JSON access log on standard output."""

import copy
from typing import Any

from uvicorn.config import LOGGING_CONFIG


def server_logging(access_log: bool) -> dict[str, Any]:
    config = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"]["json_line"] = {"format": "%(message)s"}
    config["handlers"]["json_access"] = {
        "class": "faxnum.api.edge.log_lines.BatchedLines",  # off the request's path
        "formatter": "json_line",
        "stream": "ext://sys.stdout",
    }
    config["loggers"]["faxnum"] = {"handlers": ["default"], "level": "INFO", "propagate": False}
    config["loggers"]["faxnum.access"] = {
        "handlers": ["json_access"],
        "level": "INFO" if access_log else "WARNING",
        "propagate": False,
    }
    return config
