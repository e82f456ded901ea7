"""Cohere for neoclone: the Command and Aya chat models, free on a trial key.

Cohere's own list, `GET /v1/models`, is `{"models": [...], "next_page_token": ...}`;
each entry has a `name` (the id a call expects), the `endpoints` it serves (`chat`,
`embed`, `rerank`, ...), a `context_length`, `features` and `is_deprecated`. Chat and
streaming go through Cohere's OpenAI-compatible API at `/compatibility/v1`. A trial key
is free: 20 chat requests a minute and 1,000 calls a month over all models, for
evaluation only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from neoclone_core import Capability, ModelInfo, Provider, RateLimit, hookimpl
from neoclone_core.provider import Access, FreeTier
from neoclone_core.provider_kit import (
    OpenAICompatibleProvider,
    chat_capabilities,
    entry_and_id,
    log_left_out,
    positive_int,
)

__all__ = ["FREE_RATE_LIMIT", "FREE_TIER", "CohereProvider", "model_from_entry"]

PROVIDER = "cohere"
LISTING_PARAMS: Mapping[str, str | int] = {"endpoint": "chat", "page_size": 1000}

FREE_RATE_LIMIT = RateLimit(requests_per_minute=20)
"""A trial key's chat limit; the 1,000 calls a month are shared by every model, which
RateLimit has no field for (FREE_TIER.limits says it)."""

FREE_TIER = FreeTier(
    Access.FREE_MODELS,
    terms=("a trial key is for evaluation, not production or commercial use",),
    limits="20 chat requests a minute; 1,000 calls a month over all models",
    source="https://docs.cohere.com/docs/rate-limits",
    checked="2026-07-18",
)
_FEATURES = {
    "tools": Capability.TOOLS,
    "strict_tools": Capability.TOOLS,
    "vision": Capability.VISION,
}


def model_from_entry(entry: object) -> ModelInfo | None:
    """One entry as a free chat model; None for a model that serves no chat, or one
    that is deprecated."""
    fields, name = entry_and_id(entry, "name")
    endpoints = fields.get("endpoints")
    if not isinstance(endpoints, list) or "chat" not in endpoints:
        log_left_out(PROVIDER, name, "serves no chat endpoint")
        return None
    if fields.get("is_deprecated") is True:
        log_left_out(PROVIDER, name, "deprecated")
        return None
    features = fields.get("features")
    flags = (
        {_FEATURES[f] for f in features if f in _FEATURES} if isinstance(features, list) else set()
    )
    return ModelInfo(
        provider=PROVIDER,
        name=name,
        display_name=name,
        context_length=positive_int(fields.get("context_length")),
        capabilities=chat_capabilities(name) | flags,
        free=True,
        rate_limit=FREE_RATE_LIMIT,
    )


class CohereProvider(OpenAICompatibleProvider):
    """The `cohere` provider: Cohere's own list, its OpenAI-compatible chat."""

    name = PROVIDER
    default_base_url = "https://api.cohere.ai"
    api_key_env: str | None = "COHERE_API_KEY"
    models_path = "/v1/models"
    chat_path = "/compatibility/v1/chat/completions"
    listing_key = "models"
    listing_params = LISTING_PARAMS
    free_tier = FREE_TIER
    model_from_entry = staticmethod(model_from_entry)


@hookimpl
def neoclone_register_providers(register: Callable[[Provider], None]) -> None:
    """Register the Cohere provider."""
    register(CohereProvider())
