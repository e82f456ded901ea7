"""Mistral's Codestral endpoint for neoclone: Codestral, free with a Codestral key.

`codestral.mistral.ai` is a domain of its own with its own key, serving Mistral's code
model through FIM and chat routes; its documentation names no model-list route, so
the provider lists the model the documentation names (`codestral-latest`) without a
request, once a key is set. Chat and streaming are OpenAI's shape at
`/v1/chat/completions`. Free for now within 30 requests a minute and 2,000 a day.
"""

from __future__ import annotations

from collections.abc import Callable

from neoclone_core import Capability, ModelInfo, Provider, ProviderContext, RateLimit, hookimpl
from neoclone_core.provider import Access, FreeTier
from neoclone_core.provider_kit import OpenAICompatibleProvider

__all__ = ["DOCUMENTED_MODELS", "FREE_RATE_LIMIT", "FREE_TIER", "CodestralProvider"]

PROVIDER = "codestral"

FREE_RATE_LIMIT = RateLimit(requests_per_minute=30, requests_per_day=2_000)
"""cheahjs/free-llm-api-resources (README, 2026-07-18)."""

FREE_TIER = FreeTier(
    Access.FREE_MODELS,
    terms=(
        "phone number verification",
        "free for now, on a monthly subscription that Mistral may end",
    ),
    limits="30 requests a minute, 2,000 a day",
    source="https://docs.mistral.ai/capabilities/code_generation/",
    checked="2026-07-18",
)

DOCUMENTED_MODELS = (
    ModelInfo(
        PROVIDER,
        "codestral-latest",
        display_name="Codestral",
        context_length=256_000,
        capabilities={Capability.TEXT, Capability.CODE, Capability.STREAMING, Capability.TOOLS},
        free=True,
        rate_limit=FREE_RATE_LIMIT,
    ),
)
"""The model the Codestral endpoint serves, as Mistral's model page describes Codestral
25.08 (https://docs.mistral.ai/getting-started/models/models_overview/: 256k context,
function calling)."""


class CodestralProvider(OpenAICompatibleProvider):
    """The `codestral` provider: Codestral's own domain and key."""

    name = PROVIDER
    default_base_url = "https://codestral.mistral.ai/v1"
    api_key_env: str | None = "CODESTRAL_API_KEY"
    free_tier = FREE_TIER

    async def discover(self, ctx: ProviderContext) -> list[ModelInfo]:
        """The documented models; MissingAPIKeyError without a key (none can be called)."""
        ctx.require_api_key()
        return list(DOCUMENTED_MODELS)


@hookimpl
def neoclone_register_providers(register: Callable[[Provider], None]) -> None:
    """Register the Codestral provider."""
    register(CodestralProvider())
