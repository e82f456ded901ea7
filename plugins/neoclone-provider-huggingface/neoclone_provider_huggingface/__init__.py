"""Hugging Face Inference Providers for neoclone: the router's chat models, and calls.

The router (`https://router.huggingface.co/v1`) is an OpenAI-compatible front for many
inference providers (Together, Novita, Fireworks, ...). Its public `GET /models` list
gives, per model, the providers serving it with their status, context length, prices
and tool support; chat goes through `neoclone_core.openai.compat` with `HF_TOKEN`.

What "free" means here. Inference Providers is a paid, pay-as-you-go product: Hugging
Face passes each provider's price through with no markup. Accounts get a small monthly
credit (PRO and Team/Enterprise seats $2.00; free accounts $0.10 in the pricing page of
2025, none in its current version), which is spent on whichever models are called. That
credit is one shared budget in dollars, not a per-model free tier, so it makes no model
free. The rule is therefore:

    a model is free only when a LIVE provider prices both its input and its output at
    exactly zero; the catalog entry is then pinned to that provider (`<id>:<provider>`)
    so that the call cannot be routed to a paid one.

Unknown prices are not zero, and a provider in `error` status does not count. Every
other model is listed as paid, with the cheapest live provider's prices. See
`_listing` for how each entry's facts are chosen.
"""

from __future__ import annotations

from collections.abc import Callable

from neoclone_core import Provider, hookimpl
from neoclone_core.provider import Access, FreeTier
from neoclone_core.provider_kit import OpenAICompatibleProvider
from neoclone_provider_huggingface._listing import PROVIDER, model_from_entry

__all__ = [
    "HuggingFaceProvider",
    "model_from_entry",
    "neoclone_register_providers",
]


FREE_TIER = FreeTier(
    Access.MONTHLY_CREDIT,
    terms=("a Hugging Face account; the credit is shared by every model called",),
    limits="$0.10 of credit a month on a free account ($2.00 with PRO)",
    source="https://huggingface.co/docs/inference-providers/en/pricing",
    checked="2026-07-18",
)
"""As listed by cheahjs/free-llm-api-resources README (2026-07-18)."""


class HuggingFaceProvider(OpenAICompatibleProvider):
    """The `huggingface` provider: discovery from the router's `/models`, chat through
    the shared client with `HF_TOKEN`. The list is public (the token is sent when set);
    should it ever refuse a request without one, the scan is skipped with
    MissingAPIKeyError rather than failed."""

    name = PROVIDER
    default_base_url = "https://router.huggingface.co/v1"
    api_key_env: str | None = "HF_TOKEN"
    free_tier = FREE_TIER
    discovery_needs_key = False
    refusal_means_no_key = True
    model_from_entry = staticmethod(model_from_entry)


@hookimpl
def neoclone_register_providers(register: Callable[[Provider], None]) -> None:
    """Register the Hugging Face provider."""
    register(HuggingFaceProvider())
