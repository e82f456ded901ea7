"""The Vercel AI Gateway for neoclone: one OpenAI-compatible endpoint for many models.

`GET /v1/models` is OpenAI's list with Vercel's additions: `name`, `context_window`,
`max_tokens`, `type` (`language`, `embedding`, `image`), `tags` (`tool-use`, `vision`,
`reasoning`, ...) and `pricing` (`input`, `output`) in USD per token. Only language
models are chat models. The gateway gives $5 of credit a month, spent on any model: a
dollar credit makes no model free, so only a language model priced at zero for input
and output is.
"""

from __future__ import annotations

from collections.abc import Callable

from neoclone_core import Capability, ModelInfo, Provider, hookimpl
from neoclone_core.provider import Access, FreeTier
from neoclone_core.provider_kit import (
    OpenAICompatibleProvider,
    chat_model_from_entry,
    entry_and_id,
    log_left_out,
    read_pricing,
    stripped_str,
)

__all__ = ["FREE_TIER", "VercelProvider", "model_from_entry"]

PROVIDER = "vercel"

FREE_TIER = FreeTier(
    Access.MONTHLY_CREDIT,
    terms=("a Vercel account; the credit is shared by every model called",),
    limits="$5 of credit a month",
    source="https://vercel.com/docs/ai-gateway/pricing",
    checked="2026-07-18",
)
_TAGS = {
    "tool-use": Capability.TOOLS,
    "vision": Capability.VISION,
    "reasoning": Capability.REASONING,
}


def model_from_entry(entry: object) -> ModelInfo | None:
    """One entry as a chat model, free only when priced at zero; None for a model that
    is not a language model."""
    fields, model_id = entry_and_id(entry)
    kind = stripped_str(fields.get("type")).lower()
    if kind and kind != "language":
        log_left_out(PROVIDER, model_id, f"a {kind} model, not a language model")
        return None
    pricing = read_pricing(fields.get("pricing"), per_token=True)
    tags = fields.get("tags")
    flags = {_TAGS[t] for t in tags if t in _TAGS} if isinstance(tags, list) else set()
    return chat_model_from_entry(
        PROVIDER, entry, free=pricing.is_zero, pricing=pricing, capabilities=flags
    )


class VercelProvider(OpenAICompatibleProvider):
    """The `vercel` provider: the AI Gateway's OpenAI-compatible API."""

    name = PROVIDER
    default_base_url = "https://ai-gateway.vercel.sh/v1"
    api_key_env: str | None = "AI_GATEWAY_API_KEY"
    free_tier = FREE_TIER
    model_from_entry = staticmethod(model_from_entry)


@hookimpl
def neoclone_register_providers(register: Callable[[Provider], None]) -> None:
    """Register the Vercel AI Gateway provider."""
    register(VercelProvider())
