"""neoclone against LiteLLM, side by side on this machine: one command, one report.

RequestRun: python bench/compare.py [--quick]    (the bench extra installs LiteLLM:
                                            pip install -e ".[bench]")

It starts a fake OpenAI-compatible upstream in its own process on 127.0.0.1
(`upstream.py`), the neoclone gateway (`neoclone serve`) and the LiteLLM proxy where
they run here, and then, in rounds, one worker process per contender (`workload.py`)
against that same upstream: raw HTTP clients (the floor: httpx, and the alternatives
to it), the neoclone engine in process, the gateway over HTTP, LiteLLM's
`Router.acompletion` and the LiteLLM proxy over HTTP. Each round runs every contender
once, in a rotating order; figures are medians over the rounds, and every "added"
figure is a contender's minus the floor's of the same round.

It writes `docs/benchmarks.json` (everything measured, every round) and the generated
part of `docs/benchmarks.md` (between its `bench:begin` / `bench:end` markers; the
text around them is kept). Loads are bounded (a few thousand requests a contender and
round) and stay on loopback.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import math
import os
import platform
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path
from typing import Any

import report
import servers
import workload

ROOT = Path(__file__).resolve().parent.parent
SIZES = {
    "full": {"warmup": 200, "c1": 1000, "c50": 3000, "stream": 300, "fallback": 280},
    "quick": {"warmup": 100, "c1": 300, "c50": 1000, "stream": 100, "fallback": 100},
    "tiny": {"warmup": 5, "c1": 10, "c50": 60, "stream": 5, "fallback": 5},
}
REPETITIONS = {"full": 5, "quick": 3, "tiny": 1}
CATALOG_SIZE = 400  # models the upstream lists at least: about what OpenRouter lists
WORKER_TIMEOUT_S = 600
GATEWAYS = (
    "neoclone-gateway",
    "neoclone-gateway-2w",
    "neoclone-gateway+aiohttp",
    "neoclone-gateway-no-last-resort",
)
PROXIES = ("litellm-proxy", "litellm-proxy-2w")
BARE = ("bare-endpoint", "bare-endpoint-2w")
IMPORTS = {
    "httpx": "import httpx",
    "neoclone_core": "import neoclone_core",
    "litellm": "import litellm",
}
PACKAGES = (
    "neoclone", "httpx", "httpcore", "anyio", "structlog", "litellm", "openai", "aiohttp",
    "httpx-aiohttp", "httpx2", "uvicorn", "starlette", "uvloop",
)  # fmt: skip


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- the machine ------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = platform.processor() or platform.machine()
    memory = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f"{int(line.split()[1]) / 1024**2:.0f} GiB"
                break
    except OSError:
        pass
    versions: dict[str, str | None] = {}
    for package in PACKAGES:
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": memory,
        "os": platform.platform(),
        "python": sys.version.split()[0],
        "packages": versions,
    }


# -- import times -----------------------------------------------------------------------


def import_times(repetitions: int) -> dict[str, Any]:
    """Seconds each import takes in a fresh interpreter (the import alone, not the
    interpreter's start), `repetitions` times; None for what is not installed."""
    results: dict[str, Any] = {}
    env = {**os.environ, "LITELLM_LOCAL_MODEL_COST_MAP": "True"}
    for name, statement in IMPORTS.items():
        code = f"import time; t = time.perf_counter(); {statement}; print(time.perf_counter() - t)"
        samples: list[float] = []
        for _ in range(repetitions):
            done = subprocess.run(
                [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
            )
            if done.returncode != 0:
                samples = []
                break
            samples.append(float(done.stdout.strip().splitlines()[-1]))
        results[name] = {"samples": samples, "median_s": _median(samples)}
    return results


def _median(values: list[float]) -> float | None:
    return statistics.median(values) if values else None


# -- the rounds -------------------------------------------------------------------------


def run_worker(  # noqa: PLR0917
    name: str,
    upstream: str,
    target: servers.Server | None,
    key: str,
    failing_first: int,
    sizes: dict[str, int],
    workdir: Path,
) -> dict[str, Any]:
    """One contender's measurements in a fresh process, or {"error": why}."""
    out = workdir / f"{name}.json"
    out.unlink(missing_ok=True)
    command = [
        sys.executable, str(servers.BENCH / "workload.py"), name,
        "--upstream", upstream, "--sizes", json.dumps(sizes), "--out", str(out),
        "--key", key, "--failing-first", str(failing_first),
    ]  # fmt: skip
    if target is not None:
        command += ["--target", target.url]
    started = time.perf_counter()
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=WORKER_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired:
        return {"error": f"no result within {WORKER_TIMEOUT_S}s"}
    if done.returncode != 0 or not out.exists():
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        return {"error": f"exit status {done.returncode}: {' | '.join(tail)}"}
    result: dict[str, Any] = json.loads(out.read_text())
    result["wall_s"] = time.perf_counter() - started
    if target is not None:
        result["server_peak_rss_mib"] = target.peak_rss_mib()
    return result


def rounds(  # noqa: PLR0917
    contenders: list[str],
    upstream: servers.Server,
    targets: dict[str, tuple[servers.Server, str]],
    sizes: dict[str, int],
    repetitions: int,
    workdir: Path,
) -> dict[str, list[dict[str, Any]]]:
    """Every contender once per round, the order rotating from round to round."""
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in contenders}
    per_worker = math.ceil(workload.fallback_calls(sizes) / workload.FailingPool.USES)
    failing_next = dict.fromkeys(GATEWAYS, 0)  # each gateway has breakers of its own
    for index in range(repetitions):
        order = contenders[index % len(contenders) :] + contenders[: index % len(contenders)]
        for name in order:
            target, key = targets.get(name, (None, workload.API_KEY))
            log(f"round {index + 1}/{repetitions}: {name}")
            first = failing_next.get(name, 0)
            result = run_worker(name, upstream.url, target, key, first, sizes, workdir)
            if name in failing_next:
                failing_next[name] += per_worker
            if "error" in result:
                log(f"  {name} failed: {result['error']}")
            runs[name].append(result)
    return runs


def failing_models_needed(contenders: list[str], sizes: dict[str, int], repetitions: int) -> int:
    """How many failing-<i> models the upstream must list for the gateway's fallbacks
    (at least enough to make a catalog of `CATALOG_SIZE`)."""
    per_worker = math.ceil(workload.fallback_calls(sizes) / workload.FailingPool.USES)
    needed = per_worker * repetitions if set(GATEWAYS) & set(contenders) else 0
    return max(needed, CATALOG_SIZE - 3)


def start_targets(
    contenders: list[str], upstream: str, workdir: Path, started: list[servers.Server]
) -> tuple[dict[str, tuple[servers.Server, str]], dict[str, dict[str, Any]]]:
    """The servers the over-HTTP contenders call, and what became of each."""
    targets: dict[str, tuple[servers.Server, str]] = {}
    status: dict[str, dict[str, Any]] = {}
    for name in GATEWAYS:
        if name not in contenders:
            continue
        try:
            gateway = servers.start_gateway(
                workdir, upstream, workload.API_KEY, name=name,
                last_resort=not name.endswith("no-last-resort"), workers=workload.workers(name),
                transport="aiohttp" if name.endswith("+aiohttp") else "httpx",
            )  # fmt: skip
            started.append(gateway)
            targets[name] = (gateway, workload.API_KEY)  # on loopback no key is needed
            status[name] = {"available": True, "startup_s": gateway.startup_s}
        except servers.Unavailable as exc:
            status[name] = {"available": False, "reason": str(exc)}
    for name in BARE:
        if name not in contenders:
            continue
        try:
            bare = servers.start_bare(
                workdir, upstream, workload.API_KEY, name=name, workers=workload.workers(name)
            )
            started.append(bare)
            targets[name] = (bare, workload.API_KEY)
            status[name] = {"available": True, "startup_s": bare.startup_s}
        except servers.Unavailable as exc:
            status[name] = {"available": False, "reason": str(exc)}
    for name in PROXIES:
        if name not in contenders:
            continue
        try:
            proxy, master_key = servers.start_litellm_proxy(
                workdir, upstream, workload.API_KEY, name=name, workers=workload.workers(name)
            )
            started.append(proxy)
            targets[name] = (proxy, master_key)
            status[name] = {"available": True, "startup_s": proxy.startup_s}
        except servers.Unavailable as exc:
            status[name] = {"available": False, "reason": str(exc)}
    for name, info in status.items():
        log(f"{name}: " + ("started" if info["available"] else f"not available: {info['reason']}"))
    return targets, status


NEEDS = {  # what a contender imports beyond the core's dependencies
    "httpx2": ("httpx2",),
    "aiohttp": ("aiohttp",),
    "httpx+aiohttp": ("httpx_aiohttp",),
    "neoclone+aiohttp": ("httpx_aiohttp",),
    "litellm-router": ("litellm",),
}


def runnable(contenders: list[str], status: dict[str, dict[str, Any]]) -> list[str]:
    """The contenders that can run: those whose packages are installed (the bench
    extra), and of the servers those that started."""
    keep = []
    for name in contenders:
        missing = [m for m in NEEDS.get(name, ()) if importlib.util.find_spec(m) is None]
        if missing:
            why = f'{", ".join(missing)} not installed (pip install -e ".[bench]")'
            status[name] = {"available": False, "reason": why}
        elif name not in status or status[name]["available"]:
            keep.append(name)
    return keep


# -- the command ------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0] if __doc__ else None,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--quick", action="store_true", help="3 rounds of smaller loads")
    size.add_argument("--tiny", action="store_true", help="a smoke run: seconds, no figures")
    parser.add_argument("--repetitions", type=int, help="rounds (default 5, --quick 3)")
    parser.add_argument(
        "--contenders",
        default=",".join(workload.CONTENDERS),
        help="comma-separated, from: " + ", ".join(workload.CONTENDERS),
    )
    parser.add_argument("--markdown", type=Path, default=ROOT / "docs" / "benchmarks.md")
    parser.add_argument("--json", type=Path, default=ROOT / "docs" / "benchmarks.json")
    parser.add_argument(
        "--render-only",
        action="store_true",
        help="measure nothing: write the Markdown again from the --json of an earlier run",
    )
    return parser.parse_args(argv)


def render(args: argparse.Namespace) -> int:
    """The Markdown of an earlier run, from its JSON (summary computed anew)."""
    results = json.loads(args.json.read_text())
    results["summary"] = report.summarise(results)
    args.json.write_text(json.dumps(results, indent=1) + "\n")
    report.write_markdown(results, args.markdown, json_path=args.json)
    log(report.console(results))
    return 0


def _stop(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds, so every server started is stopped


def main(argv: list[str] | None = None) -> int:
    signal.signal(signal.SIGTERM, _stop)
    args = parse_args(argv)
    if args.render_only:
        return render(args)
    mode = "tiny" if args.tiny else "quick" if args.quick else "full"
    sizes = SIZES[mode]
    repetitions = args.repetitions or REPETITIONS[mode]
    contenders = [c.strip() for c in args.contenders.split(",") if c.strip()]
    unknown = sorted(set(contenders) - set(workload.CONTENDERS))
    if unknown or "httpx" not in contenders:
        log(f"unknown contenders: {unknown}" if unknown else "httpx (the floor) is required")
        return 2
    began = time.perf_counter()
    log(f"{mode} run: {repetitions} round(s) of {sizes}")
    imports = import_times(max(repetitions, 3) if mode != "tiny" else 1)
    started: list[servers.Server] = []
    with tempfile.TemporaryDirectory(prefix="neoclone-compare-") as tmp, servers.running(started):
        workdir = Path(tmp)
        failing = failing_models_needed(contenders, sizes, repetitions)
        upstream = servers.start_upstream(workdir, failing)
        started.append(upstream)
        log(f"upstream on {upstream.url} ({failing + 3} models listed)")
        targets, status = start_targets(contenders, upstream.url, workdir, started)
        contenders = runnable(contenders, status)
        runs = rounds(contenders, upstream, targets, sizes, repetitions, workdir)
        for name, (server, _) in targets.items():
            status[name]["peak_rss_mib"] = server.peak_rss_mib()
    results = {
        "generated": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join(["python", "bench/compare.py", *(argv or sys.argv[1:])]),
        "mode": mode,
        "sizes": sizes,
        "repetitions": repetitions,
        "concurrency": workload.CONCURRENCY,
        "catalog_models": failing + 3,
        "machine": machine(),
        "imports": imports,
        "servers": status,
        "runs": runs,
        "duration_s": time.perf_counter() - began,
    }
    results["summary"] = report.summarise(results)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=1) + "\n")
    report.write_markdown(results, args.markdown, json_path=args.json)
    log(report.console(results))
    log(f"wrote {args.markdown} and {args.json} in {results['duration_s']:.0f}s")
    failed = [n for n, rs in runs.items() if any("error" in r for r in rs)]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
