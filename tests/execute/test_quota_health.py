"""Health probes and the usage ledger: a probe counts like any call, and may spend the
share of a limit the config keeps for probes (`[quota] health_share`)."""

from __future__ import annotations

from collections.abc import Iterator

import attrs
import pytest

from neoclone_core import Settings
from neoclone_core.config_quota import QuotaSettings
from neoclone_core.models import RateLimit
from neoclone_core.testing import RecordingServer
from tests.execute.test_quota import setup
from tests.support import ManualClock, OpenedNeoclone

pytestmark = pytest.mark.anyio


@pytest.fixture
def server() -> Iterator[RecordingServer]:
    with RecordingServer() as running:
        yield running


async def test_health_probes_may_spend_the_share_kept_for_them(
    server: RecordingServer,
    clock: ManualClock,
    opened_neoclone: OpenedNeoclone,
    settings: Settings,
) -> None:
    clock.now = 1_700_006_400.0  # 00:00 UTC: the day's 20 requests are all there
    _, providers = setup(server, clock, headers=False, limits=RateLimit(requests_per_day=20))
    kept = attrs.evolve(settings, quota=QuotaSettings(health_share=0.5))

    async with opened_neoclone(*providers, settings=kept) as nc:
        served = []
        for _ in range(11):
            served.append((await nc.chat("hi", models=["alpha/m", "beta/m"]))[1].served_by)
            clock.advance(15)  # within the upstream's own 5 a minute
        clock.advance(12 * 3600)  # a probe is due (10% of 20 a day: one every 12 hours)
        [probed] = await nc.check_health(["alpha/m"])
        report = nc.quota()

    assert served == ["alpha/m"] * 10 + ["beta/m"]  # requests spend 10 of alpha's 20
    assert probed.ok is True  # the probe spends the half kept for it
    days = {(w["model"], w["window"]): w["requests"] for w in report["windows"]}
    assert days["alpha/m", "day-utc"]["used"] == 11
