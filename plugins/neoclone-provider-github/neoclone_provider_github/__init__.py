"""GitHub Models for neoclone: lists the GitHub Models catalog and runs its models.

GitHub gives every account free API usage of its catalog, rate limited per model tier
(low: 15 requests a minute and 150 a day; high: 10 and 50; custom tiers per model, see
`_limits`), so every chat model of the catalog is free within those limits. The catalog
is `GET https://models.github.ai/catalog/models`; chat is the OpenAI-compatible
`POST /inference/chat/completions` with a GitHub token (`GITHUB_TOKEN`, a personal
access token with `models:read`).

Two catalog schemas exist and both are read: the older one (id, name, publisher,
rate_limit_tier, modalities, tags) and the newer one, which adds `capabilities`
("streaming", "tool-calling", "reasoning") and `limits.max_input_tokens`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from neoclone_core import Capability, ModelInfo, Pricing, Provider, hookimpl
from neoclone_core.provider import Access, FreeTier
from neoclone_core.provider_kit import (
    OpenAICompatibleProvider,
    as_mapping,
    entry_and_id,
    is_code_model,
    log_left_out,
    positive_int,
    stripped_str,
)
from neoclone_provider_github._limits import FreeLimits, free_limits

__all__ = [
    "API_HEADERS",
    "CATALOG_PATH",
    "CHAT_PATH",
    "FreeLimits",
    "GitHubModelsProvider",
    "free_limits",
    "model_from_entry",
    "neoclone_register_providers",
]

PROVIDER = "github"
CATALOG_PATH = "/catalog/models"
CHAT_PATH = "/inference/chat/completions"
API_HEADERS = {"X-GitHub-Api-Version": "2022-11-28"}
"""The REST API version GitHub's models documentation sends with every request."""

_NOT_CHAT_TIERS = frozenset({"embeddings"})


# -- the catalog -------------------------------------------------------------------------


def model_from_entry(entry: object) -> ModelInfo | None:
    """One catalog entry as a free ModelInfo; None for an embedding model.

    `context_length` is the smaller of the model's own input limit (newer schema) and
    the free tier's input tokens per request, since a longer prompt is refused.
    """
    fields, model_id = entry_and_id(entry)
    tier = stripped_str(fields.get("rate_limit_tier"))
    if not _is_chat(fields, tier):
        log_left_out(PROVIDER, model_id, "not chat")
        return None
    limits = free_limits(model_id, tier)
    own_limit = positive_int(as_mapping(fields.get("limits")).get("max_input_tokens"))
    return ModelInfo(
        provider=PROVIDER,
        name=model_id,
        display_name=stripped_str(fields.get("name")) or model_id,
        context_length=_smallest(own_limit, limits.max_input_tokens),
        capabilities=_capabilities(fields, model_id),
        pricing=Pricing(0.0, 0.0),
        free=True,
        rate_limit=limits.rate_limit,
    )


def _is_chat(entry: Mapping[str, Any], tier: str) -> bool:
    """Not an embeddings-tier model, and text among the outputs when outputs are listed
    (one older entry, Phi-3.5-vision-instruct, lists none; it is a chat model)."""
    if tier.lower() in _NOT_CHAT_TIERS:
        return False
    outputs = _strings(entry.get("supported_output_modalities"))
    return not outputs or "text" in outputs


def _capabilities(entry: Mapping[str, Any], model_id: str) -> set[Capability]:
    """From `capabilities` (newer schema), the input modalities, and GitHub's own tags.

    Without a `capabilities` list (older schema) streaming is assumed, as the inference
    API streams every chat model; tools are claimed only when listed.
    """
    listed = entry.get("capabilities")
    capabilities = _strings(listed)
    tags = _strings(entry.get("tags"))
    found = {Capability.TEXT}
    if not isinstance(listed, list) or "streaming" in capabilities:
        found.add(Capability.STREAMING)
    if "tool-calling" in capabilities:
        found.add(Capability.TOOLS)
    if "reasoning" in capabilities | tags:
        found.add(Capability.REASONING)
    if "coding" in tags or is_code_model(model_id):
        found.add(Capability.CODE)
    if "image" in _strings(entry.get("supported_input_modalities")):
        found.add(Capability.VISION)
    return found


def _smallest(*values: int | None) -> int | None:
    known = [v for v in values if v is not None]
    return min(known) if known else None


def _strings(value: object) -> set[str]:
    """A list of strings, stripped and lowercased (older tags carry leading spaces)."""
    if not isinstance(value, list):
        return set()
    return {item.strip().lower() for item in value if isinstance(item, str)}


# -- the provider ------------------------------------------------------------------------


FREE_TIER = FreeTier(
    Access.FREE_MODELS,
    terms=(
        "a GitHub account; meant for prototyping, with small input and output token"
        " limits per request",
    ),
    limits="by Copilot plan (Free/Pro/Business/Enterprise) and model tier; low tier on"
    " Copilot Free: about 15 requests a minute, 150 a day",
    source="https://docs.github.com/en/github-models/prototyping-with-ai-models#rate-limits",
    checked="2026-07-18",
)
"""Terms and limits as listed by cheahjs/free-llm-api-resources (README, 2026-07-18)
and GitHub's page."""


class GitHubModelsProvider(OpenAICompatibleProvider):
    """The `github` provider: the catalog for discovery, the inference API for chat
    (Azure's leading content-filter event, which has no choices, yields nothing). The
    token is sent to the catalog when set; a catalog that refuses a request without one
    skips the scan with MissingAPIKeyError."""

    name = PROVIDER
    default_base_url = "https://models.github.ai"
    api_key_env: str | None = "GITHUB_TOKEN"
    free_tier = FREE_TIER
    models_path = CATALOG_PATH
    chat_path = CHAT_PATH
    headers = API_HEADERS
    discovery_needs_key = False
    refusal_means_no_key = True
    listing_key = None  # the catalog is a bare JSON array
    listing_what = "catalog"
    model_from_entry = staticmethod(model_from_entry)


@hookimpl
def neoclone_register_providers(register: Callable[[Provider], None]) -> None:
    """Register the GitHub Models provider."""
    register(GitHubModelsProvider())
