"""The gateway against the bare forwarding endpoint (`bare.py`), for `report.py`:
issue 17's aim that the gateway add at most twice, at concurrency 1 (p50), what a bare
Starlette-on-uvicorn endpoint forwarding the same request with the same client adds,
both measured over raw httpx in the same run, with the same number of workers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

BARE_PAIRS = (
    ("neoclone-gateway", "bare-endpoint"),
    ("neoclone-gateway-2w", "bare-endpoint-2w"),
)
BARE_AIM = 2.0  # the gateway adds at most twice what the bare forwarding endpoint adds


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or denominator is None or denominator <= 0 or numerator <= 0:
        return None
    return numerator / denominator


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:+.2f}"


def _x(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}x"


def _verdict(met: bool | None) -> str:
    return {True: "met", False: "**not met**", None: "not measured"}[met]


def against_bare(contenders: Mapping[str, Any]) -> dict[str, Any]:
    """The gateway's added latency at concurrency 1 (p50) over the bare forwarding
    endpoint's, with the same number of workers: the median of each, their ratio, and
    the ratio of every round."""
    out: dict[str, Any] = {}
    for gateway, bare in BARE_PAIRS:
        mine, floor = contenders.get(gateway, {}), contenders.get(bare, {})
        if "added" not in mine or "added" not in floor:
            continue
        ours, theirs = mine["added"]["c1_p50_ms"], floor["added"]["c1_p50_ms"]
        rounds = zip(
            mine["added_rounds"]["c1_p50_ms"], floor["added_rounds"]["c1_p50_ms"], strict=False
        )
        ratio = _ratio(ours, theirs)
        out[gateway] = {
            "bare": bare,
            "gateway_added_ms": ours,
            "bare_added_ms": theirs,
            "ratio": ratio,
            "rounds": [_ratio(g, b) for g, b in rounds],
            "met": None if ratio is None else ratio <= BARE_AIM,
        }
    return out


def markdown_lines(pairs: Mapping[str, Any], labels: Mapping[str, str]) -> list[str]:
    """The Markdown section of the comparison ([] when the pairs did not run)."""
    if not pairs:
        return []
    lines = [
        "",
        "### The gateway against the bare forwarding endpoint, same run",
        "",
        "Added latency at concurrency 1 (p50, ms, over raw httpx); the aim is a gateway "
        f"adding at most {BARE_AIM:.0f}x what the bare endpoint adds. Each round's ratio in "
        "brackets.",
        "",
        "| gateway | it adds | the bare endpoint adds | ratio | aim |",
        "|---|--:|--:|--:|---|",
    ]
    for gateway, r in pairs.items():
        spread = ", ".join(_x(v) for v in r["rounds"])
        cells = [
            _ms(r["gateway_added_ms"]), _ms(r["bare_added_ms"]),
            f"{_x(r['ratio'])} ({spread})", _verdict(r["met"]),
        ]  # fmt: skip
        lines.append(f"| {labels.get(gateway, gateway)} | " + " | ".join(cells) + " |")
    return lines


def console_lines(pairs: Mapping[str, Any]) -> list[str]:
    """One line per pair for the terminal."""
    return [
        f"aim: {gateway} adds <= {BARE_AIM:.0f}x {r['bare']}: "
        f"{_ms(r['gateway_added_ms'])} vs {_ms(r['bare_added_ms'])} ms = {_x(r['ratio'])}: "
        f"{_verdict(r['met'])}"
        for gateway, r in pairs.items()
    ]
