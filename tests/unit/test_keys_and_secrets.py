import logging
import stat
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag

from faxnum.api.redaction import RedactKeys, redact
from faxnum.config import Settings
from faxnum.domain.api_keys import digests_match, is_well_formed, key_digest, new_api_key
from faxnum.security.key_cipher import KeyCipher
from faxnum.security.passwords import hash_password, verify_password


def test_new_keys_are_prefixed_128_bit_and_unique() -> None:
    keys = {new_api_key() for _ in range(1000)}
    assert len(keys) == 1000
    assert all(is_well_formed(key) and len(key) == 4 + 32 for key in keys)


@pytest.mark.parametrize(
    "key", ["", "fxn_", "FXN_" + "a" * 32, "fxn_" + "g" * 32, "fxn_" + "a" * 33, "x" * 5000]
)
def test_malformed_keys_are_recognised_without_a_lookup(key: str) -> None:
    assert not is_well_formed(key)


def test_digest_comparison() -> None:
    key = new_api_key()
    assert digests_match(key_digest(key), key_digest(key))
    assert not digests_match(key_digest(key), key_digest(new_api_key()))


def test_encrypted_copy_round_trips_and_is_not_the_key() -> None:
    cipher = KeyCipher(b"operator secret")
    key = new_api_key()
    sealed = cipher.encrypt(key)
    assert key.encode() not in sealed
    assert cipher.decrypt(sealed) == key
    assert cipher.encrypt(key) != sealed  # a fresh nonce each time


def test_another_secret_cannot_decrypt() -> None:
    sealed = KeyCipher(b"one").encrypt(new_api_key())
    with pytest.raises(InvalidTag):
        KeyCipher(b"two").decrypt(sealed)


def test_passwords_are_argon2_hashed() -> None:
    stored = hash_password("correct horse battery")
    assert stored.startswith("$argon2")
    assert verify_password(stored, "correct horse battery")
    assert not verify_password(stored, "wrong")
    assert not verify_password("not a hash", "wrong")


def test_generated_secret_is_private_and_reused(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, secret_key=None)
    first = settings.effective_secret
    assert stat.S_IMODE((tmp_path / "secret.key").stat().st_mode) == 0o600
    assert Settings(data_dir=tmp_path, secret_key=None).effective_secret == first


@pytest.mark.parametrize(
    "line",
    [
        "GET /api/v2/countries/CAN/didgroups?api_key=fxn_0123456789abcdef0123456789abcdef HTTP/1.1",
        "GET /api/v2/x?a=1&API_KEY=whatever-it-is&b=2",
        "key fxn_0123456789abcdef0123456789abcdef leaked in a message",
    ],
)
def test_keys_are_redacted_from_log_text(line: str) -> None:
    cleaned = redact(line)
    assert "0123456789abcdef" not in cleaned and "whatever-it-is" not in cleaned
    assert "[REDACTED]" in cleaned


def test_log_filter_redacts_arguments_of_the_access_log_record() -> None:
    record = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:1", "GET", "/p?api_key=fxn_0123456789abcdef0123456789abcdef", "1.1", 200),
        None,
    )
    RedactKeys().filter(record)
    assert "fxn_0123456789abcdef" not in record.getMessage()
