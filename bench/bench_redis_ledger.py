"""What the usage ledger costs a call on the Redis store, in microseconds.

Run: python bench/bench_redis_ledger.py [calls] (needs redis-server on PATH and the
neoclone-store-redis plugin). A `redis-server` is started on a free loopback port; each
call is one `reserve` (WATCH, reads, MULTI/EXEC: three round trips at least) and one
`settle` of corrected tokens (one script), timed call by call and given as p50 / p95,
for a call claiming windows without limits and one claiming a model's and an account's
limited minute and day (ample, so every reservation is granted).
"""

from __future__ import annotations

import sys
import time

from neoclone_store_redis import RedisState
from neoclone_store_redis.testing import RedisServer

from neoclone_core.state.usage import Claim, Period, Reservation, Window

NOW = time.time()


def claims(limited: bool) -> list[Claim]:
    def limit(value: int) -> int | None:
        return value if limited else None

    return [
        Claim(Window("groq/m", "3f2a9c1b7d4e", Period.MINUTE), limit(10**9), limit(10**12)),
        Claim(Window("groq/m", "3f2a9c1b7d4e", Period.DAY_UTC), limit(10**9)),
        Claim(Window("provider:groq", "3f2a9c1b7d4e", Period.MINUTE), limit(10**9)),
        Claim(Window("provider:groq", "3f2a9c1b7d4e", Period.DAY_UTC), limit(10**9)),
    ]


def per_call(state: RedisState, claimed: list[Claim], calls: int) -> tuple[float, float]:
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        reservation = state.reserve(claimed, 600, NOW)
        assert isinstance(reservation, Reservation)
        state.settle(reservation, 420)
        times.append(time.perf_counter() - started)
    times.sort()
    return times[len(times) // 2], times[int(len(times) * 0.95)]


def main(calls: int) -> None:
    with RedisServer() as server:
        state = RedisState.connect(server.url)
        print(f"the usage ledger on Redis, per call ({calls} calls, reserve + settle):")
        for label, limited in (("windows without limits", False), ("limited windows", True)):
            per_call(state, claims(limited), min(calls, 200))  # warm up
            p50, p95 = per_call(state, claims(limited), calls)
            print(f"  {label:<28} p50 {p50 * 1e6:7.1f} µs   p95 {p95 * 1e6:7.1f} µs")
        state.close()
    print(f"(python {sys.version.split()[0]}, {server.binary} on 127.0.0.1)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
