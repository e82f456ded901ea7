"""API keys never reach logs, errors, the store, stats or reprs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from structlog.testing import capture_logs

from neoclone_core import Secret, public_url, redact
from neoclone_core.errors import (
    AuthenticationError,
    NoModelAvailableError,
    ProviderUnavailableError,
)
from tests.support import FakeProvider, NewNeoclone

PLANTED = "sk-or-v1-" + "5eed" * 16


def test_a_secret_never_prints_its_value() -> None:
    secret = Secret(PLANTED)
    assert PLANTED not in repr(secret)
    assert PLANTED not in str(secret)
    assert PLANTED not in f"{secret}"
    assert secret.reveal() == PLANTED


@pytest.mark.parametrize(
    "text",
    [
        f"invalid key {PLANTED}",
        "Authorization: Bearer abcdefghijklmnopqrstuvwxyz0123",
        "key=AIzaSyA-abcdefghijklmnopqrstuvwxyz01234",
        "token ghp_abcdefghijklmnopqrstuvwxyz0123456789",
        "hf_abcdefghijklmnopqrstuvwxyzABCD is wrong",
    ],
)
def test_redact_removes_anything_shaped_like_a_key(text: str) -> None:
    cleaned = redact(text)
    assert "[REDACTED]" in cleaned
    assert not any(len(word) > 20 and word.isalnum() for word in cleaned.split())


def test_redact_removes_a_known_secret_of_any_shape() -> None:
    assert redact("the key is plainword123", [Secret("plainword123")]) == "the key is [REDACTED]"


@pytest.mark.parametrize(
    "echo",
    [
        "key=PLAINWORDS-nothing-like-a-vendor-key",  # upper-cased
        "key=plainwords-nothing-\n  like-a-vendor-key",  # wrapped across lines
        "key=plainwords-nothing-like- a-vendor-key",  # split by a space
    ],
    ids=["case", "wrapped", "split"],
)
def test_redact_finds_a_known_secret_changed_in_case_or_split_by_whitespace(echo: str) -> None:
    secret = Secret("plainwords-nothing-like-a-vendor-key")

    assert redact(echo, [secret]) == "key=[REDACTED]"


@pytest.mark.anyio
async def test_a_planted_key_appears_in_no_log_error_stat_or_store_file(
    new_neoclone: NewNeoclone,
) -> None:
    echoing = FakeProvider(
        "echo",
        api_key_env="ECHO_KEY",
        fail_with=ProviderUnavailableError(f"upstream said: bad key {PLANTED}"),
        chat_error=AuthenticationError(f"401: key {PLANTED} refused"),
    )
    healthy = FakeProvider("healthy", api_key_env="ECHO_KEY")
    env = {"ECHO_KEY": PLANTED}
    with capture_logs() as logs:
        async with new_neoclone(echoing, healthy, env=env) as neoclone:
            scans = await neoclone.discover()
            echoing.fail_with = None
            await neoclone.discover(refresh=True)
            with pytest.raises(NoModelAvailableError) as caught:
                await neoclone.chat("hi", models=["echo/m1"])
            stats = neoclone.stats()
            cache = neoclone.get_cache_stats()
            store_dir = neoclone._store.path.parent
    assert healthy.seen_keys == [PLANTED, PLANTED]  # the key did reach the provider
    visible = [
        json.dumps(logs, default=str),
        repr(scans),
        str(caught.value),
        repr(caught.value.route),
        json.dumps(stats, default=str),
        json.dumps(cache, default=str),
    ]
    for text in visible:
        assert PLANTED not in text
    for path in Path(store_dir).iterdir():
        assert PLANTED.encode() not in path.read_bytes(), path
    assert "[REDACTED]" in repr(scans)


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("redis://user:pw@127.0.0.1:6379/2", "redis://127.0.0.1:6379/2"),
        ("redis://127.0.0.1:6379/0?password=pw#x", "redis://127.0.0.1:6379/0"),
        ("rediss://:pw@[::1]:6380/1", "rediss://[::1]:6380/1"),
    ],
)
def test_a_public_url_keeps_no_credential(url: str, shown: str) -> None:
    assert public_url(url) == shown
