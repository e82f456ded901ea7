"""Scaleway Generative APIs for neoclone: open models hosted in Europe; a one-off
allowance of free tokens, then paid, so no model is free.

`GET /v1/models` is OpenAI's bare list (`id`, `object`, `created`, `owned_by`; key
required); it mixes chat models with embedding and speech models, told apart by name.
"""

from __future__ import annotations

from collections.abc import Callable

from neoclone_core import Provider, hookimpl
from neoclone_core.provider import Access, FreeTier
from neoclone_core.provider_kit import OpenAICompatibleProvider

__all__ = ["FREE_TIER", "ScalewayProvider"]

PROVIDER = "scaleway"

FREE_TIER = FreeTier(
    Access.TRIAL_CREDIT,
    terms=("1,000,000 free tokens once; then billed per token",),
    limits="1,000,000 tokens in all",
    source="https://console.scaleway.com/generative-api/models",
    checked="2026-07-18",
)
"""As listed under "Providers with trial credits" by cheahjs/free-llm-api-resources
(README, 2026-07-18)."""


class ScalewayProvider(OpenAICompatibleProvider):
    """The `scaleway` provider: Scaleway's OpenAI-compatible Generative APIs."""

    name = PROVIDER
    default_base_url = "https://api.scaleway.ai/v1"
    api_key_env: str | None = "SCW_SECRET_KEY"
    free_tier = FREE_TIER


@hookimpl
def neoclone_register_providers(register: Callable[[Provider], None]) -> None:
    """Register the Scaleway Generative APIs provider."""
    register(ScalewayProvider())
