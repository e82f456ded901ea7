"""The route and the time neoclone added, as response headers a person or a proxy can
read without parsing the body.

`x-neoclone-route` lists every attempt in order ("openrouter/a:free failed
(rate_limited), groq/b ok"), `x-neoclone-fallbacks` counts the moves to another model,
and `x-neoclone-overhead-ms` is everything the gateway spent on the request beyond the
upstream calls themselves: parsing, planning, routing, backoff waits, and writing the
response. Error messages stay out of headers (they are in the route of an error body).
"""

from __future__ import annotations

from collections.abc import Mapping

from neoclone_core import Route

ROUTE_HEADER = "x-neoclone-route"
OVERHEAD_HEADER = "x-neoclone-overhead-ms"
FALLBACKS_HEADER = "x-neoclone-fallbacks"
MODEL_HEADER = "x-neoclone-model"


def describe(route: Route) -> str:
    """Each attempt as "model outcome (error kind)", comma separated, header-safe."""
    parts = [
        f"{a.model_id} {a.outcome}" + (f" ({a.error_kind})" if a.error_kind else "")
        for a in route.attempts
    ]
    return _header_safe(", ".join(parts))


def upstream_s(route: Route) -> float:
    """The time spent in upstream calls."""
    return sum(a.duration_s for a in route.attempts)


def route_headers(route: Route, overhead_s: float) -> dict[str, str]:
    """The headers of a served request."""
    return {
        ROUTE_HEADER: describe(route),
        FALLBACKS_HEADER: str(route.fallbacks),
        OVERHEAD_HEADER: f"{overhead_s * 1000:.3f}",
    }


def stream_headers(model: str, extra: Mapping[str, str]) -> list[tuple[bytes, bytes]]:
    """The headers of a stream, known before its first byte: the model serving it, and
    `extra`, as ASGI wants them."""
    headers = {MODEL_HEADER: model, **extra}
    return [(k.encode(), _header_safe(v).encode()) for k, v in headers.items()]


def _header_safe(text: str) -> str:
    """Printable ASCII only: a header cannot carry anything else safely."""
    return "".join(ch if " " <= ch <= "~" else "?" for ch in text)
