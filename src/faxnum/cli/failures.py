"""What an operator sees when a command fails for a reason outside faxnum's code (a
database that does not answer, a directory it may not write, a Redis that is down):
one line naming the problem, and the traceback only with --debug."""

import sys
from collections.abc import Callable

from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

from faxnum.cli.common import errors

DEBUG_FLAG = "--debug"


def describe(error: BaseException) -> str:
    if isinstance(error, ArgumentError | NoSuchModuleError):
        return f"FAXNUM_DATABASE_URL is not a usable database URL ({error})"
    if isinstance(error, OperationalError):
        return f"the database cannot be used: {error.orig}"
    from redis.exceptions import RedisError  # only now: importing redis is slow

    if isinstance(error, RedisError):
        return f"Redis (FAXNUM_REDIS_URL) cannot be used: {error}"
    if isinstance(error, OSError) and error.filename:
        return f"{error.strerror}: {error.filename}"
    return f"{type(error).__name__}: {error}"


def run_reporting_failures(main: Callable[[], object]) -> None:
    """Run the command line; `--debug` anywhere shows tracebacks instead."""
    debug = DEBUG_FLAG in sys.argv
    if debug:
        sys.argv.remove(DEBUG_FLAG)
    try:
        main()
    except Exception as error:
        if debug:
            raise
        errors.print(
            f"[red]error:[/red] {describe(error)} (run with {DEBUG_FLAG} for the traceback)",
            highlight=False,
        )
        sys.exit(1)
