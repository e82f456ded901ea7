"""Nebius Token Factory (formerly AI Studio) for neoclone: open models behind an
OpenAI-compatible API; a small trial credit, then paid, so no model is free.

`GET /v1/models` is OpenAI's bare list (key required); embedding and guard models are
told apart by name.
"""

from __future__ import annotations

from collections.abc import Callable

from neoclone_core import Provider, hookimpl
from neoclone_core.provider import Access, FreeTier
from neoclone_core.provider_kit import OpenAICompatibleProvider

__all__ = ["FREE_TIER", "NebiusProvider"]

PROVIDER = "nebius"

FREE_TIER = FreeTier(
    Access.TRIAL_CREDIT,
    terms=("a one-off credit at sign-up; then billed per token",),
    limits="$1 of credit",
    source="https://tokenfactory.nebius.com/",
    checked="2026-07-18",
)
"""As listed under "Providers with trial credits" by cheahjs/free-llm-api-resources
(README, 2026-07-18)."""


class NebiusProvider(OpenAICompatibleProvider):
    """The `nebius` provider: Nebius Token Factory's OpenAI-compatible API."""

    name = PROVIDER
    default_base_url = "https://api.tokenfactory.nebius.com/v1"
    api_key_env: str | None = "NEBIUS_API_KEY"
    free_tier = FREE_TIER


@hookimpl
def neoclone_register_providers(register: Callable[[Provider], None]) -> None:
    """Register the Nebius Token Factory provider."""
    register(NebiusProvider())
