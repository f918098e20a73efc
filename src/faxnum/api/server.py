"""The serving process: uvicorn and the app, none of the command line.

`faxnum serve` migrates, checks the secret and prepares the demo, then replaces itself
with this module (exec, same process id), so that a worker holds only what serving
needs: not Typer, Rich, Alembic, phonenumbers' metadata or the client, which the
command line had loaded (about 40 MB), nor pydantic-settings: the launcher hands over
the settings it read and checked. With several workers, uvicorn spawns each from this
module too, with the same environment.
"""

import json
import logging
import os
import shutil
import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import FastAPI

    from faxnum.config import Settings

# Modules that libraries load whenever they are installed, for what a server never
# does (None in sys.modules: "not importable", which each of them expects):
# httpx's command-line client (Rich, Click and Pygments with it), uvicorn's file
# watcher for --reload (it falls back to polling), and pydantic's v1 compatibility
# layer, which FastAPI imports to ask whether a model is a v1 one (none is).
for _never_served in ("httpx._main", "watchfiles", "pydantic.v1"):
    sys.modules.setdefault(_never_served, None)  # type: ignore[arg-type]

# What a server's log records never show, so not gathered for every record (the logging
# HOWTO's optimizations): the calling file and line, the thread, the process and its
# multiprocessing name. Each cost more than the rest of an access-log line.
logging._srcfile = None
logging.logThreads = False
logging.logProcesses = False
logging.logMultiprocessing = False

OPTIONS_VARIABLE = "FAXNUM_SERVER_OPTIONS"
SETTINGS_VARIABLE = "FAXNUM_SERVED_SETTINGS"  # kept: every worker reads it


def exec_server(options: dict[str, Any], metrics_dir: str | None, settings: "Settings") -> None:
    """Replace this process with the server (never returns)."""
    from faxnum.config import settings_with_secrets_json

    sys.stdout.flush()
    sys.stderr.flush()
    os.environ[OPTIONS_VARIABLE] = json.dumps(options | {"metrics_dir": metrics_dir})
    os.environ[SETTINGS_VARIABLE] = settings_with_secrets_json(settings)
    os.execv(sys.executable, [sys.executable, "-m", "faxnum.api.server"])  # noqa: S606 (this interpreter, fixed arguments)


def served_app() -> "FastAPI":
    """The app as `faxnum serve` launches it: the secret was checked before this
    process became the server, so the cipher's library stays unloaded until a key is
    sealed or shown."""
    from faxnum.api.app import create_app
    from faxnum.config import Settings

    handed_over = os.environ.get(SETTINGS_VARIABLE)
    settings = Settings.model_validate_json(handed_over) if handed_over else None
    return create_app(settings, secret_checked=True)


def main() -> None:
    import uvicorn

    from faxnum.api.server_logging import server_logging

    options = json.loads(os.environ.pop(OPTIONS_VARIABLE))
    trusted = options["trusted_proxies"]
    try:
        uvicorn.run(
            "faxnum.api.server:served_app",
            factory=True,
            host=options["host"],
            port=options["port"],
            workers=options["workers"],
            access_log=False,  # replaced by faxnum's JSON access log (keys redacted)
            log_config=server_logging(options["access_log"]),
            proxy_headers=bool(trusted),
            forwarded_allow_ips=trusted,
            server_header=False,  # no advertising of the server software and version
            timeout_graceful_shutdown=options["graceful_shutdown_s"],
        )
    finally:
        if options["metrics_dir"] is not None:
            shutil.rmtree(options["metrics_dir"], ignore_errors=True)


if __name__ == "__main__":
    main()
