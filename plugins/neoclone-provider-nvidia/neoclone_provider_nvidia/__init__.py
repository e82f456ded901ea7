"""NVIDIA NIM for neoclone: the chat models of NVIDIA's API catalog, free for prototyping.

NVIDIA hosts open models behind an OpenAI-compatible API at
`integrate.api.nvidia.com/v1`. Its `GET /models` is OpenAI's bare list (`id`, `object`,
`created`, `owned_by`; key required), which mixes chat models with embedding,
reranking, safety and speech models without saying which is which: names tell them
apart (`provider_kit.not_chat_by_name`). Every chat model is free within the trial's
limit of 40 requests a minute.
"""

from __future__ import annotations

from collections.abc import Callable

from neoclone_core import ModelInfo, Provider, RateLimit, hookimpl
from neoclone_core.provider import Access, FreeTier
from neoclone_core.provider_kit import OpenAICompatibleProvider, chat_model_from_entry

__all__ = ["FREE_RATE_LIMIT", "FREE_TIER", "NvidiaProvider", "model_from_entry"]

PROVIDER = "nvidia"

FREE_RATE_LIMIT = RateLimit(requests_per_minute=40)
"""40 requests a minute per account (cheahjs/free-llm-api-resources, README of
2026-07-18, from NVIDIA's catalog pages)."""

FREE_TIER = FreeTier(
    Access.FREE_MODELS,
    terms=(
        "phone number verification",
        "a trial for prototyping and evaluation, not production",
        "context windows may be smaller than the model's own",
    ),
    limits="40 requests a minute per account",
    source="https://build.nvidia.com/explore/discover",
    checked="2026-07-18",
)


def model_from_entry(entry: object) -> ModelInfo | None:
    """One entry as a free chat model; None for an embedding, reranking, safety or
    speech model (by its name)."""
    return chat_model_from_entry(PROVIDER, entry, free=True, rate_limit=FREE_RATE_LIMIT)


class NvidiaProvider(OpenAICompatibleProvider):
    """The `nvidia` provider: the API catalog at integrate.api.nvidia.com."""

    name = PROVIDER
    default_base_url = "https://integrate.api.nvidia.com/v1"
    api_key_env: str | None = "NVIDIA_API_KEY"
    free_tier = FREE_TIER
    model_from_entry = staticmethod(model_from_entry)


@hookimpl
def neoclone_register_providers(register: Callable[[Provider], None]) -> None:
    """Register the NVIDIA NIM provider."""
    register(NvidiaProvider())
