"""Cerebras for neoclone: lists the models Cerebras serves, all free within its limits.

Cerebras' free tier covers every model of its public API, with per-model limits on
requests and tokens per minute, hour and day. Its model list, `GET /models`, is the
bare OpenAI shape (id, owner, creation time): no context length, no capabilities, no
prices. So the free flag and limits come from Cerebras' rate-limit documentation, the
capabilities from its model pages by family, and the context length stays unknown.
Chat and streaming go through `neoclone_core.openai.compat`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from neoclone_core import Capability, ModelInfo, Provider, RateLimit, hookimpl
from neoclone_core.provider import Access, FreeTier
from neoclone_core.provider_kit import (
    OpenAICompatibleProvider,
    entry_and_id,
    is_code_model,
)

__all__ = [
    "DEFAULT_FREE_RATE_LIMIT",
    "FREE_RATE_LIMITS",
    "CerebrasProvider",
    "model_from_entry",
    "neoclone_register_providers",
]

PROVIDER = "cerebras"

DEFAULT_FREE_RATE_LIMIT = RateLimit(
    requests_per_minute=30, requests_per_day=14_400, tokens_per_minute=60_000
)
"""The free tier's general row in https://inference-docs.cerebras.ai/support/rate-limits
(late 2025): 30 requests a minute, 14,400 a day, 60,000 tokens a minute (also 900
requests an hour and 1M tokens an hour and a day, which RateLimit has no fields for).
Every model listed there has it, except those in FREE_RATE_LIMITS."""

FREE_RATE_LIMITS: Mapping[str, RateLimit] = {
    # The same table's exceptions.
    "qwen-3-coder-480b": RateLimit(
        requests_per_minute=10, requests_per_day=100, tokens_per_minute=150_000
    ),
}

_REASONING = re.compile(r"gpt-oss|thinking|qwen-3-32b|glm|deepseek-r1|reasoning", re.IGNORECASE)
"""Reasoning models per Cerebras' model pages: gpt-oss (reasoning effort), the Qwen 3
thinking variants and hybrid qwen-3-32b, GLM; `qwen-3-235b-a22b-instruct-2507` is the
non-thinking variant and does not match."""


# -- the model list ----------------------------------------------------------------------


def model_from_entry(entry: object) -> ModelInfo:
    """One entry as a ModelInfo: free, with Cerebras' documented limits.

    Cerebras serves only chat models through this API, so every entry is one. The
    list has no context length, capabilities or prices: the context length and prices
    stay unknown, and capabilities follow the model family.
    """
    _, model_id = entry_and_id(entry)
    return ModelInfo(
        provider=PROVIDER,
        name=model_id,
        display_name=model_id,
        capabilities=_capabilities(model_id),
        free=True,
        rate_limit=FREE_RATE_LIMITS.get(model_id, DEFAULT_FREE_RATE_LIMIT),
    )


def _capabilities(model_id: str) -> set[Capability]:
    """Text, streaming and tool calling for every model (each of Cerebras' model pages
    lists streaming and tool calling); no image input (Cerebras serves text only)."""
    found = {Capability.TEXT, Capability.STREAMING, Capability.TOOLS}
    if _REASONING.search(model_id):
        found.add(Capability.REASONING)
    if is_code_model(model_id):
        found.add(Capability.CODE)
    return found


# -- the provider ------------------------------------------------------------------------


FREE_TIER = FreeTier(
    Access.FREE_MODELS,
    terms=(),
    limits="per model: 30 requests a minute, 900 an hour, 14,400 a day; 60,000 tokens a"
    " minute, 1M an hour and a day",
    source="https://inference-docs.cerebras.ai/support/rate-limits",
    checked="2026-07-18",
)
"""Limits as listed for gpt-oss-120b and Llama 3.1 8B by cheahjs/free-llm-api-resources
(README, 2026-07-18)."""


class CerebrasProvider(OpenAICompatibleProvider):
    """The `cerebras` provider over Cerebras' OpenAI-compatible API, whose model list
    needs the key: without one, the scan is skipped before any request."""

    name = PROVIDER
    default_base_url = "https://api.cerebras.ai/v1"
    api_key_env: str | None = "CEREBRAS_API_KEY"
    free_tier = FREE_TIER
    model_from_entry = staticmethod(model_from_entry)


@hookimpl
def neoclone_register_providers(register: Callable[[Provider], None]) -> None:
    """Register the Cerebras provider."""
    register(CerebrasProvider())
