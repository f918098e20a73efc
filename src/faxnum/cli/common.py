"""What every operator command shares: the console and a migrated database."""

from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path

import typer
from pydantic import ValidationError
from rich.console import Console

from faxnum.config import DATABASE_FILE, Settings, settings_from_environment
from faxnum.domain.errors import DomainError
from faxnum.domain.money import parse_amount
from faxnum.security.key_cipher import KeyCipher
from faxnum.security.secrets import SECRET_FILE, WeakSecret
from faxnum.services.key_secrets import check_secret
from faxnum.store.db.database import Database
from faxnum.store.db.migrate import upgrade

console = Console(soft_wrap=True)
errors = Console(stderr=True, soft_wrap=True)


def fail(message: str, status: int = 2) -> typer.Exit:
    """Say what is wrong in one line on standard error; the exit to raise."""
    errors.print(f"[red]error:[/red] {message}", highlight=False)
    return typer.Exit(status)


def load_settings() -> Settings:
    """Settings from the environment, or one line per bad one and exit status 2."""
    try:
        return settings_from_environment()
    except ValidationError as invalid:
        for problem in invalid.errors():
            name = "FAXNUM_" + "_".join(str(part) for part in problem["loc"]).upper()
            errors.print(f"[red]error:[/red] {name} {problem['msg']}", highlight=False)
        raise typer.Exit(2) from None


def checked_cipher(settings: Settings, database: Database) -> KeyCipher:
    """The key cipher, once it is known to open the stored keys."""
    try:
        cipher = settings.key_cipher()
    except WeakSecret as weak:
        raise fail(str(weak)) from None
    with database.reader() as uow:
        check_secret(uow, cipher)
        # Written only now: a start refused above leaves no new secret file behind.
        generated = settings.effective_secrets
        if settings.keep_generated_secret() != generated:  # another process's won
            cipher = settings.key_cipher()
            check_secret(uow, cipher)
    return cipher


@contextmanager
def operator_database(settings: Settings) -> Iterator[Database]:
    """The configured database, migrated; domain errors end the command with status 1."""
    _say_where_a_new_store_is_made(settings)
    upgrade(settings.effective_database_url)
    database = Database(settings.effective_database_url)
    try:
        yield database
    except DomainError as error:
        console.print(f"[red]{error.message}[/red]", highlight=False)
        raise typer.Exit(1) from error
    finally:
        database.dispose()


def _say_where_a_new_store_is_made(settings: Settings) -> None:
    """The embedded store lives in FAXNUM_DATA_DIR, relative to the current directory
    when given so: a command run elsewhere must not quietly start an empty one."""
    if settings.database_url is not None:
        return
    store = (settings.data_dir / DATABASE_FILE).resolve()
    if not store.exists():
        errors.print(
            f"note: creating a new, empty database at {store} (FAXNUM_DATA_DIR is "
            f"{settings.data_dir}; set it to use another)",
            highlight=False,
        )


def amount_option(text: str, name: str) -> Decimal:
    try:
        return parse_amount(text)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint=name) from exc


def same_file(first: Path, second: Path) -> bool:
    """One file under two names: the same path, a symlink or a hard link to it."""
    try:
        a, b = first.stat(), second.stat()
    except OSError:  # one of them does not exist yet: only the names can agree
        return first.resolve() == second.resolve()
    return (a.st_dev, a.st_ino) == (b.st_dev, b.st_ino)


def refuse_operator_file(settings: Settings, path: Path, option: str) -> None:
    """A file a command writes must not be one faxnum keeps: the embedded database (or
    its -wal, -shm or -journal file) or the data directory's secret, under any name.
    Refused in one line, with exit status 2."""
    from sqlalchemy.engine import make_url

    kept = [settings.data_dir / SECRET_FILE]
    url = make_url(settings.effective_database_url)
    if url.drivername.startswith("sqlite") and url.database:
        store = Path(url.database)
        kept += [store.with_name(store.name + end) for end in ("", "-wal", "-shm", "-journal")]
    for own in kept:
        if same_file(path, own):
            raise fail(f"{option} {path} is {own.name}, which faxnum keeps; choose another file")
