"""Operator commands for the secret that seals the stored copies of API keys."""

import typer

from faxnum.cli.common import console, fail, load_settings, operator_database
from faxnum.security.key_cipher import KeyCipher
from faxnum.security.secrets import local_secrets, new_secret, write_local_secrets
from faxnum.services.key_secrets import reseal_all

secret_app = typer.Typer(help="The key-encryption secret.", no_args_is_help=True)


@secret_app.command("rotate")
def rotate() -> None:
    """Seal every stored key copy under a new secret.

    With FAXNUM_SECRET_KEY set: put the new secret first and the old one after it
    ("NEW,OLD"), run this, then drop OLD. Without it: a new secret is generated into the
    data directory's secret.key, which keeps the old one until every copy is re-sealed.
    Safe to interrupt and run again."""
    settings = load_settings()
    with operator_database(settings) as database:
        if settings.secret_key is not None:
            secrets = settings.effective_secrets
            resealed = reseal_all(database.unit_of_work, KeyCipher(*secrets))
            console.print(f"Re-sealed {resealed} stored keys under the first secret.")
            if len(secrets) > 1:
                console.print("The older secrets in FAXNUM_SECRET_KEY can now be removed.")
            return
        old = [secret.decode() for secret in local_secrets(settings.data_dir)]
        if not old:
            raise fail(f"{settings.data_dir / 'secret.key'} holds no secret")
        fresh = new_secret()
        write_local_secrets(settings.data_dir, [fresh, *old])
        cipher = KeyCipher(fresh.encode(), *(secret.encode() for secret in old))
        resealed = reseal_all(database.unit_of_work, cipher)
        write_local_secrets(settings.data_dir, [fresh])
    console.print(
        f"Re-sealed {resealed} stored keys under a new secret in "
        f"{settings.data_dir / 'secret.key'}; the old one is gone."
    )
