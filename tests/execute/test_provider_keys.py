"""Several keys per provider (`api_key_env = ["A", "B"]`): each key its own quota, a
request to a key with some left, a key the provider refuses (401/403) set aside on its
own while the others serve, and no key ever in the store, the logs or the errors."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import attrs
import pytest
import structlog

from neoclone_core import ProviderSettings, Settings, load_settings
from neoclone_core.errors import ConfigError
from neoclone_core.models import RateLimit
from neoclone_core.testing import RecordedRequest, RecordingServer, Reply
from tests.execute.test_quota import limited
from tests.support import ManualClock, OpenedNeoclone, answer, error, path

pytestmark = pytest.mark.anyio
KEYS = {
    "GROQ_KEY_A": "plantedKeyAlpha-0123456789abcdef",
    "GROQ_KEY_B": "plantedKeyBeta-fedcba9876543210",
}
PER_KEY = 3  # requests a minute each key may send (the catalog's limit)


class KeyedUpstream:
    """Answers each key that is not refused; counts the calls per key."""

    def __init__(self, refused: frozenset[str] = frozenset()) -> None:
        self.refused = refused
        self.calls: Counter[str] = Counter()

    def __call__(self, request: RecordedRequest) -> Reply:
        key = request.headers["authorization"].removeprefix("Bearer ")
        self.calls[key] += 1
        if key in self.refused:
            return error(401, "Invalid API Key")
        return answer("ok")


def keyed_settings(settings: Settings, server: RecordingServer) -> Settings:
    keys = ProviderSettings(api_key_env="GROQ_KEY_A", more_key_envs=("GROQ_KEY_B",))
    return attrs.evolve(settings, providers={"alpha": keys})


def test_the_config_takes_a_list_of_variables_and_refuses_a_key_in_it(tmp_path: Path) -> None:
    config = tmp_path / "neoclone.toml"
    config.write_text('[providers.groq]\napi_key_env = ["GROQ_API_KEY", "GROQ_API_KEY_2"]\n')
    groq = load_settings(config).provider("groq")
    assert (groq.api_key_env, groq.more_key_envs) == ("GROQ_API_KEY", ("GROQ_API_KEY_2",))

    config.write_text(f'[providers.groq]\napi_key_env = ["GROQ_API_KEY", "{KEYS["GROQ_KEY_A"]}"]\n')
    with pytest.raises(ConfigError, match="api_key_env") as refused:
        load_settings(config)
    assert KEYS["GROQ_KEY_A"] not in str(refused.value)
    config.write_text("[providers.groq]\napi_key_env = []\n")
    with pytest.raises(ConfigError, match="at least one variable"):
        load_settings(config)


async def test_each_key_spends_its_own_quota_then_the_plan_moves_on(
    server: RecordingServer, settings: Settings, clock: ManualClock, opened_neoclone: OpenedNeoclone
) -> None:
    upstream = KeyedUpstream()
    server.route("POST", path("alpha"), upstream)  # type: ignore[arg-type]
    server.route("POST", path("backup"), answer("from the backup"))
    alpha = limited("alpha", f"{server.url}/alpha/v1", RateLimit(requests_per_minute=PER_KEY))
    backup = limited("backup", f"{server.url}/backup/v1")

    async with opened_neoclone(
        alpha, backup, settings=keyed_settings(settings, server), env=KEYS
    ) as nc:
        routes = [(await nc.chat("hi", models=["alpha/m", "backup/m"]))[1] for _ in range(8)]

    assert [r.served_by for r in routes] == ["alpha/m"] * 2 * PER_KEY + ["backup/m"] * 2
    assert upstream.calls == Counter({KEYS["GROQ_KEY_A"]: PER_KEY, KEYS["GROQ_KEY_B"]: PER_KEY})
    assert routes[-1].attempts[0].skipped
    assert routes[-1].attempts[0].error.startswith("alpha/m: 0 of 3 requests left a minute")


async def test_a_refused_key_is_set_aside_alone_and_no_key_is_ever_written_or_logged(
    server: RecordingServer,
    settings: Settings,
    clock: ManualClock,
    opened_neoclone: OpenedNeoclone,
    tmp_path: Path,
) -> None:
    upstream = KeyedUpstream(refused=frozenset({KEYS["GROQ_KEY_A"]}))
    server.route("POST", path("alpha"), upstream)  # type: ignore[arg-type]
    alpha = limited("alpha", f"{server.url}/alpha/v1")
    keyed = keyed_settings(settings, server)

    with structlog.testing.capture_logs() as logs:
        async with opened_neoclone(alpha, settings=keyed, env=KEYS) as nc:
            routes = [(await nc.chat("hi", models=["alpha/m"]))[1] for _ in range(4)]
            stats = repr(nc.stats()) + repr(nc.breaker_states())
            ledger = nc._engine.budget.view(fresh=True)  # the ledger as the engine reads it

    assert [r.served_by for r in routes] == ["alpha/m"] * 4
    first = routes[0].attempts
    assert [(a.ok, a.error_kind) for a in first] == [(False, "authentication"), (True, "")]
    assert all(len(r.attempts) == 1 and r.attempts[0].ok for r in routes[1:])  # A set aside
    assert upstream.calls == Counter({KEYS["GROQ_KEY_A"]: 1, KEYS["GROQ_KEY_B"]: 4})
    assert ledger is not None
    credentials = {w.credential for w in ledger.counts}
    assert len(credentials) == 2 and all(len(c) == 12 for c in credentials)  # fingerprints
    written = b"".join(p.read_bytes() for p in keyed.home.rglob("*") if p.is_file())
    told = repr(logs) + repr(routes) + stats
    for key in KEYS.values():
        assert key.encode() not in written
        assert key not in told


async def test_every_refused_key_is_set_aside_on_its_own(
    server: RecordingServer, settings: Settings, clock: ManualClock, opened_neoclone: OpenedNeoclone
) -> None:
    """Both keys refused: each sits out its own wait, so later requests cost no 401 at
    all (one cooldown per key name used to keep only the first key's, and the second
    key was asked, and refused, on every request)."""
    upstream = KeyedUpstream(refused=frozenset(KEYS.values()))
    server.route("POST", path("alpha"), upstream)  # type: ignore[arg-type]
    server.route("POST", path("backup"), answer("from the backup"))
    alpha = limited("alpha", f"{server.url}/alpha/v1")
    backup = limited("backup", f"{server.url}/backup/v1")

    async with opened_neoclone(
        alpha, backup, settings=keyed_settings(settings, server), env=KEYS
    ) as nc:
        routes = [(await nc.chat("hi", models=["alpha/m", "backup/m"]))[1] for _ in range(4)]

    assert [r.served_by for r in routes] == ["backup/m"] * 4
    assert upstream.calls == Counter({KEYS["GROQ_KEY_A"]: 1, KEYS["GROQ_KEY_B"]: 1})
    assert all(r.attempts[0].skipped for r in routes[1:])
