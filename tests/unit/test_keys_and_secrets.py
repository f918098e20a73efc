import asyncio
import base64
import logging
import random
import secrets
import stat
import threading
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from faxnum.api.edge.redaction import RedactKeys, redact
from faxnum.config import Settings, settings_from_environment
from faxnum.domain.api_keys import digests_match, is_well_formed, key_digest, new_api_key
from faxnum.security.key_cipher import KeyCipher, WrongSecret
from faxnum.security.passwords import (
    CONCURRENT_HASHES,
    hash_password,
    verify_password,
    with_password_work,
)
from faxnum.security.secrets import WeakSecret


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
    with pytest.raises(WrongSecret):
        KeyCipher(b"two").decrypt(sealed)


def test_passwords_are_argon2_hashed() -> None:
    stored = hash_password("correct horse battery")
    assert stored.startswith("$argon2")
    assert verify_password(stored, "correct horse battery")
    assert not verify_password(stored, "wrong")
    assert not verify_password("not a hash", "wrong")


def test_generated_secret_is_private_and_reused(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, secret_key=None)
    first = settings.effective_secrets
    assert not (tmp_path / "secret.key").exists()  # not before the store accepted it
    assert settings.keep_generated_secret() == first
    assert stat.S_IMODE((tmp_path / "secret.key").stat().st_mode) == 0o600
    assert Settings(data_dir=tmp_path, secret_key=None).effective_secrets == first


def test_a_secret_generated_second_gives_way_to_the_one_written_first(tmp_path: Path) -> None:
    first, second = (Settings(data_dir=tmp_path, secret_key=None) for _ in range(2))
    assert first.effective_secrets != second.effective_secrets
    kept = first.keep_generated_secret()
    assert second.keep_generated_secret() == kept == second.effective_secrets


@pytest.mark.parametrize(
    "secret", ["", " ", "x", "...", "a" * 64, "abcdefgh" * 8, "short-but-random-9f8e", "ok" * 20]
)
def test_weak_secrets_are_refused_naming_the_setting(secret: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Settings(secret_key=SecretStr(secret))
    assert refused.value.errors()[0]["loc"] == ("secret_key",)


@pytest.mark.parametrize(
    "secret",
    [
        "abcdefghijkl" * 3,
        "0123456789ab" * 3,
        "abcdefghijklmnop" * 2,
        "Zq7xK2pL9w" * 4,
        "abcdefghijkl-abcdefghijkl-abcdefghijkl",  # a repeat with separators
        "0123456789ab-0123456789ab-0123456789ab",
        "abcdefghijklmnopqrstuvwxyz0123456789",  # runs
        "0123456789abcdef0123456789abcdef",
        "your-secret-key-here-change-me-please",  # a pasted placeholder
        "qwertyuiopasdfghjklzxcvbnm1234567890",  # keyboard walks
        "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik9ol0p",
        "a-b-c-d-e-f-g-h-i-j-k-l-m-n-o-p-q-r-s-t",  # a run with separators
        "YOUR_API_KEY_GOES_HERE_PLEASE_FILL_IN",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",  # sha256("")
        "3141592653589793238462643383279502884197",  # pi
    ],
)
def test_a_secret_repeating_a_pattern_is_refused_however_many_characters_it_uses(
    secret: str,
) -> None:
    with pytest.raises(ValidationError):
        Settings(secret_key=SecretStr(secret))
    with pytest.raises(ValidationError):
        Settings(metrics_token=SecretStr(secret))


@pytest.mark.parametrize("seed", range(40))
def test_generated_secrets_are_accepted(seed: int) -> None:
    random_bytes = random.Random(seed).randbytes
    for secret in (random_bytes(16).hex(), base64.urlsafe_b64encode(random_bytes(32)).decode()):
        assert Settings(secret_key=SecretStr(secret), metrics_token=SecretStr(secret))


def test_a_hand_written_weak_secret_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "secret.key").write_text("secret\n")
    with pytest.raises(WeakSecret, match=r"secret\.key"):
        Settings(data_dir=tmp_path, secret_key=None).key_cipher()


def test_several_secrets_newest_first_are_all_accepted() -> None:
    new, old = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    assert Settings(secret_key=SecretStr(f"{new}, {old}")).effective_secrets == [
        new.encode(),
        old.encode(),
    ]


def test_a_cipher_with_older_secrets_opens_their_copies_and_reseals_under_the_newest() -> None:
    old, new = KeyCipher(b"o" * 40), KeyCipher(b"n" * 40, b"o" * 40)
    key = new_api_key()
    sealed_by_old = old.encrypt(key)
    assert new.decrypt(sealed_by_old) == key
    resealed = new.reseal(sealed_by_old)
    assert resealed is not None and KeyCipher(b"n" * 40).decrypt(resealed) == key
    assert new.reseal(resealed) is None  # already under the newest
    with pytest.raises(WrongSecret):
        KeyCipher(b"x" * 40).decrypt(sealed_by_old)


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


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("welcome_credit", "1e30"),
        ("welcome_credit", "-5"),
        ("welcome_credit", "0.005"),
        ("rate_limit", "0/second"),
        ("rate_limit", "lots"),
        ("auth_rate_limit", ""),
        ("renew_interval_s", "-1"),
        ("idempotency_hours", "0"),
        ("max_subaccounts", "-1"),
    ],
)
def test_settings_that_cannot_work_are_refused_at_start(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(f"FAXNUM_{name.upper()}", value)
    with pytest.raises(ValidationError) as refused:
        settings_from_environment()
    assert refused.value.errors()[0]["loc"] == (name,)


def test_password_work_runs_at_most_two_at_a_time_off_the_event_loop() -> None:
    running, most = 0, 0
    lock = threading.Lock()

    def hash_slowly() -> str:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        try:
            return hash_password("correct horse battery")
        finally:
            with lock:
                running -= 1

    async def burst() -> list[str]:
        loop_thread = threading.get_ident()
        hashes = await asyncio.gather(*(with_password_work(hash_slowly) for _ in range(8)))
        assert threading.get_ident() == loop_thread
        return list(hashes)

    assert len(asyncio.run(burst())) == 8
    assert most == CONCURRENT_HASHES == 2
