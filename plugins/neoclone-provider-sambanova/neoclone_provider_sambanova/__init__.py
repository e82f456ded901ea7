"""SambaNova Cloud for neoclone: fast open models on SambaNova's chips; a trial credit,
then paid, so no model is free.

`GET /v1/models` is OpenAI's list with SambaNova's additions (`context_length`,
`max_completion_tokens`, `pricing` in USD per token as numbers). SambaNova's free
tier ended in 2025: new accounts get a one-off credit ($5 for 3 months), then need a
payment method, so the provider is marked `trial credit` and its models paid.
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

__all__ = ["FREE_TIER", "SambaNovaProvider", "model_from_entry"]

PROVIDER = "sambanova"

FREE_TIER = FreeTier(
    Access.TRIAL_CREDIT,
    terms=("a one-off credit at sign-up; then a payment method is required",),
    limits="$5 of credit for 3 months",
    source="https://cloud.sambanova.ai/",
    checked="2026-07-18",
)
"""As listed under "Providers with trial credits" by cheahjs/free-llm-api-resources
(README, 2026-07-18); tashfeenahmed/freellmapi#246 (2026-06-07) reports the 402
"payment method required" once the credit lapses."""


def model_from_entry(entry: object) -> ModelInfo | None:
    """One entry as a chat model, never free (a trial credit makes no model free); None for a
    model whose name marks no chat model."""
    return chat_model_from_entry(
        PROVIDER,
        entry,
        pricing=read_pricing(
            as_mapping(entry).get("pricing"), "prompt", "completion", per_token=True
        ),
    )


class SambaNovaProvider(OpenAICompatibleProvider):
    """The `sambanova` provider: SambaNova Cloud's OpenAI-compatible API."""

    name = PROVIDER
    default_base_url = "https://api.sambanova.ai/v1"
    api_key_env: str | None = "SAMBANOVA_API_KEY"
    free_tier = FREE_TIER
    model_from_entry = staticmethod(model_from_entry)


@hookimpl
def neoclone_register_providers(register: Callable[[Provider], None]) -> None:
    """Register the SambaNova Cloud provider."""
    register(SambaNovaProvider())
