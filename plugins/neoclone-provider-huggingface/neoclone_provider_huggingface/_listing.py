"""The router's `GET /v1/models` list, read into catalog entries.

Each model lists the inference providers that serve it (`providers[]`), each with a
status (`live` or `error`), and, when available, its context length, its prices in USD
per million tokens and whether it supports tools. The router picks one of them for a
call unless the model id is suffixed with `:<provider>`.

Which entry a model becomes:

- a live provider charges exactly zero for input and output: a FREE entry pinned to
  that provider (`<id>:<provider>`), so that the router cannot send the call to a paid
  one; its facts are that provider's;
- otherwise a paid entry under the plain id, routed by Hugging Face; its facts are the
  ones that hold whichever live provider serves: the smallest known context length,
  tools only when every live provider that says so says yes, and the cheapest live
  provider's prices (a lower bound of what a call costs);
- no live provider at all (or no text output): no entry, since no call could succeed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from neoclone_core import Capability, ModelInfo, Pricing, RateLimit
from neoclone_core.provider_kit import (
    UnreadableEntryError,
    as_mapping,
    entry_and_id,
    is_code_model,
    is_reasoning_model,
    log_left_out,
    positive_int,
    price_per_million,
)

PROVIDER = "huggingface"
LIVE = "live"

"""The list has no reasoning or code field; model ids do ("DeepSeek-R1", "QwQ-32B",
"Qwen2.5-Coder-32B-Instruct")."""


def model_from_entry(entry: object) -> ModelInfo | None:
    """One entry as a ModelInfo (see the module docstring for which); None when no
    live provider serves it or it outputs no text. Raises ValueError when unreadable."""
    fields, model_id = entry_and_id(entry)
    architecture = as_mapping(fields.get("architecture"))
    live = _live_providers(fields.get("providers"))
    why_not = _unservable(architecture, live)
    if why_not:
        log_left_out(PROVIDER, model_id, why_not)
        return None
    free_route = next((p for p in live if _pricing(p).is_zero), None)
    if free_route is not None:
        return _free_model(model_id, architecture, free_route)
    return _paid_model(model_id, architecture, live)


def _unservable(architecture: Mapping[str, Any], live: Sequence[Mapping[str, Any]]) -> str:
    if "text" not in _modalities(architecture, "output"):
        return "no text output"
    return "" if live else "no live provider"


def _free_model(
    model_id: str, architecture: Mapping[str, Any], route: Mapping[str, Any]
) -> ModelInfo:
    provider = str(route["provider"]).strip()
    return ModelInfo(
        provider=PROVIDER,
        name=f"{model_id}:{provider}",
        display_name=f"{model_id} (free on {provider})",
        context_length=positive_int(route.get("context_length")),
        capabilities=_capabilities(
            model_id, architecture, tools=route.get("supports_tools") is True
        ),
        pricing=Pricing(0.0, 0.0),
        free=True,
        rate_limit=RateLimit(),  # Hugging Face documents no request limits, only billing
    )


def _paid_model(
    model_id: str, architecture: Mapping[str, Any], live: Sequence[Mapping[str, Any]]
) -> ModelInfo:
    contexts = [c for p in live if (c := positive_int(p.get("context_length"))) is not None]
    said = [p["supports_tools"] for p in live if isinstance(p.get("supports_tools"), bool)]
    return ModelInfo(
        provider=PROVIDER,
        name=model_id,
        display_name=model_id,
        context_length=min(contexts, default=None),
        capabilities=_capabilities(model_id, architecture, tools=bool(said) and all(said)),
        pricing=_cheapest(live),
        free=False,
        rate_limit=RateLimit(),
    )


def _live_providers(value: object) -> list[Mapping[str, Any]]:
    """The providers whose status is `live` and that name themselves; odd items are
    ignored rather than losing the model."""
    if value is None:
        return []
    if not isinstance(value, list):
        msg = "providers is not a list"
        raise UnreadableEntryError(msg)
    return [
        p
        for p in value
        if isinstance(p, Mapping)
        and str(p.get("status", "")).strip().lower() == LIVE
        and isinstance(p.get("provider"), str)
        and p["provider"].strip()
    ]


def _pricing(route: Mapping[str, Any]) -> Pricing:
    prices = as_mapping(route.get("pricing"))
    return Pricing(_price(prices.get("input")), _price(prices.get("output")))


def _price(value: object) -> float | None:
    """USD per million tokens; None when absent or not a finite, non-negative number
    (an odd price makes one route unpriced, not the model unreadable)."""
    try:
        return price_per_million(value)
    except ValueError:
        return None


def _cheapest(live: Sequence[Mapping[str, Any]]) -> Pricing:
    priced = [
        pricing
        for pricing in map(_pricing, live)
        if pricing.input_per_mtok is not None and pricing.output_per_mtok is not None
    ]
    return min(
        priced,
        key=lambda p: (p.input_per_mtok or 0.0) + (p.output_per_mtok or 0.0),
        default=Pricing(),
    )


def _capabilities(
    model_id: str, architecture: Mapping[str, Any], *, tools: bool
) -> set[Capability]:
    found = {Capability.TEXT, Capability.STREAMING}
    if "image" in _modalities(architecture, "input"):
        found.add(Capability.VISION)
    if tools:
        found.add(Capability.TOOLS)
    if is_code_model(model_id):
        found.add(Capability.CODE)
    if is_reasoning_model(model_id):
        found.add(Capability.REASONING)
    return found


def _modalities(architecture: Mapping[str, Any], side: str) -> set[str]:
    """`input_modalities` / `output_modalities`; text when not given (the router lists
    chat-completion models)."""
    listed = architecture.get(f"{side}_modalities")
    if isinstance(listed, list):
        return {m.strip().lower() for m in listed if isinstance(m, str)}
    return {"text"}
