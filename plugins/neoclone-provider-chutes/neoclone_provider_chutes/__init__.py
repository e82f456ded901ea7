"""Chutes for neoclone: open models on a decentralised GPU network; paid since its free
plans ended, so no model is free.

`GET /v1/models` (key required) is OpenAI's list with `pricing` in USD per million
tokens (`prompt`, `completion`). Chutes' free daily requests ended in 2025 and its
Early Access free plan on 2026-03-15; calls need a subscription or a balance.
"""

from __future__ import annotations

from collections.abc import Callable

from neoclone_core import ModelInfo, Provider, hookimpl
from neoclone_core.provider import Access, FreeTier
from neoclone_core.provider_kit import (
    OpenAICompatibleProvider,
    as_mapping,
    chat_model_from_entry,
    read_pricing,
)

__all__ = ["FREE_TIER", "ChutesProvider", "model_from_entry"]

PROVIDER = "chutes"

FREE_TIER = FreeTier(
    Access.PAID,
    terms=("a subscription or a prepaid balance",),
    limits="no free tier since 2026-03-15",
    source="https://github.com/cheahjs/free-llm-api-resources/issues/217",
    checked="2026-12-07",
)
"""cheahjs/free-llm-api-resources#200 (2025-07-05: no free models) and #217
(2025-08-07: the $5-deposit free tier ended); tashfeenahmed/freellmapi#246
(2026-06-07: the Early Access free plan retired 2026-03-15)."""


def model_from_entry(entry: object) -> ModelInfo | None:
    """One entry as a chat model, never free (Chutes has no free tier); None for a
    model whose name marks no chat model."""
    return chat_model_from_entry(
        PROVIDER,
        entry,
        pricing=read_pricing(as_mapping(entry).get("pricing"), "prompt", "completion"),
    )


class ChutesProvider(OpenAICompatibleProvider):
    """The `chutes` provider: Chutes' OpenAI-compatible API."""

    name = PROVIDER
    default_base_url = "https://llm.chutes.ai/v1"
    api_key_env: str | None = "CHUTES_API_KEY"
    free_tier = FREE_TIER
    model_from_entry = staticmethod(model_from_entry)


@hookimpl
def neoclone_register_providers(register: Callable[[Provider], None]) -> None:
    """Register the Chutes provider."""
    register(ChutesProvider())
