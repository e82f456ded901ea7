"""ModelInfo to and from plain JSON-able dicts: one shape for the store, the bundled
snapshot and every `--json` listing, so they can never drift apart."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from neoclone_core.models import Capability, ModelInfo, Pricing, ProviderFigures, RateLimit, Source


def model_to_dict(model: ModelInfo) -> dict[str, Any]:
    """The JSON shape of a model; `id` comes first for readers."""
    return {
        "id": model.id,
        "provider": model.provider,
        "name": model.name,
        "display_name": model.display_name,
        "context_length": model.context_length,
        "capabilities": sorted(c.value for c in model.capabilities),
        "pricing": {
            "input_per_mtok": model.pricing.input_per_mtok,
            "output_per_mtok": model.pricing.output_per_mtok,
        },
        "free": model.free,
        "rate_limit": {
            "requests_per_minute": model.rate_limit.requests_per_minute,
            "requests_per_day": model.rate_limit.requests_per_day,
            "tokens_per_minute": model.rate_limit.tokens_per_minute,
        },
        "source": model.source.value,
        "discovered_at": model.discovered_at,
        **({"figures": _figures_to_dict(model.figures)} if model.figures else {}),
    }


def _figures_to_dict(figures: ProviderFigures) -> dict[str, Any]:
    return {
        "benchmarks": dict(figures.benchmarks),
        "uptime": figures.uptime,
        "latency_s": figures.latency_s,
    }


def model_from_dict(data: Mapping[str, Any]) -> ModelInfo:
    """The inverse of `model_to_dict`; raises KeyError/ValueError/TypeError on a bad shape."""
    pricing = data.get("pricing") or {}
    limits = data.get("rate_limit") or {}
    figures = data.get("figures") or {}
    return ModelInfo(
        provider=str(data["provider"]),
        name=str(data["name"]),
        display_name=str(data.get("display_name") or ""),
        context_length=data.get("context_length"),
        capabilities=frozenset(Capability(c) for c in data.get("capabilities", ("text",))),
        pricing=Pricing(pricing.get("input_per_mtok"), pricing.get("output_per_mtok")),
        free=bool(data.get("free", False)),
        rate_limit=RateLimit(
            limits.get("requests_per_minute"),
            limits.get("requests_per_day"),
            limits.get("tokens_per_minute"),
        ),
        source=Source(data.get("source", Source.LIVE.value)),
        discovered_at=float(data.get("discovered_at") or 0.0),
        figures=ProviderFigures(
            figures.get("benchmarks") or {}, figures.get("uptime"), figures.get("latency_s")
        ),
    )
