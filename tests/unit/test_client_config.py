"""Where the SDK finds its server and key: the saved key never goes to another server."""

from pathlib import Path

import pytest

from faxnum.client import calls
from faxnum.client.config import resolve, save


@pytest.fixture(autouse=True)
def own_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.delenv("FAXNUM_URL", raising=False)
    monkeypatch.delenv("FAXNUM_API_KEY", raising=False)


def test_the_saved_key_is_used_only_for_the_server_it_was_saved_for(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = save("https://numbers.example.com/", "fxn_saved")
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    assert resolve().api_key == "fxn_saved"
    assert resolve(base_url="https://numbers.example.com").api_key == "fxn_saved"
    assert resolve(base_url="http://127.0.0.1:9443").api_key is None
    monkeypatch.setenv("FAXNUM_URL", "https://elsewhere.example.com")
    assert resolve().api_key is None
    monkeypatch.setenv("FAXNUM_API_KEY", "fxn_env")
    assert resolve().api_key == "fxn_env"  # given for that server on purpose


@pytest.mark.parametrize("url", ["notaurl", "http://[::1", "ftp://numbers.example.com", "http://"])
def test_a_server_url_that_is_not_one_is_refused_before_any_request(url: str) -> None:
    with pytest.raises(ValueError, match="URL"):
        resolve(base_url=url)


def test_ids_in_paths_are_positive_ints_and_text_is_one_segment() -> None:
    with pytest.raises(TypeError):
        calls.delete_webhook("1/../../numbers/1")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        calls.number(True)
    with pytest.raises(ValueError, match="positive whole number"):
        calls.release_number(0)
    assert calls.states("../numbers").path == "/states/..%2Fnumbers"


def test_the_printed_api_base_is_taken_for_the_servers_address(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FAXNUM_URL", "http://127.0.0.1:8000/api/v2/")
    assert resolve().base_url == "http://127.0.0.1:8000"
