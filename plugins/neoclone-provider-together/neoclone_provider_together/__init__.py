"""Together AI for neoclone: lists Together's chat models and runs them; none is free.

Together serves open models behind an OpenAI-compatible API. Its `GET /models` list (a
bare JSON array, key required) prices every model in USD per million tokens. Together
ended its free tier in 2025 ("Changes to Free Tier and Billing",
https://support.together.ai/articles/1862638756-changes-to-free-tier-and-billing-july-2025):
an account needs a payment method and a credit purchase of at least $5 before any call,
and the `-Free` endpoints (`meta-llama/Llama-3.3-70B-Instruct-Turbo-Free`) were retired
by October 2025. So no model is listed as free, whatever its price or name says: a zero
price on an old `-Free` id, or on a model served only on dedicated endpoints, is not a
free call. Only `type: "chat"` models are listed (embedding, image, rerank, moderation
and base "language" models cannot serve a chat completion).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from neoclone_core import Capability, ModelInfo, Provider, ProviderContext, hookimpl
from neoclone_core.provider import Access, FreeTier
from neoclone_core.provider_kit import (
    OpenAICompatibleProvider,
    entry_and_id,
    is_code_model,
    is_reasoning_model,
    log_left_out,
    positive_int,
    read_pricing,
    stripped_str,
)

__all__ = [
    "FREE_TIER",
    "TogetherProvider",
    "model_from_entry",
    "neoclone_register_providers",
]

PROVIDER = "together"

FREE_TIER = FreeTier(
    Access.PAID,
    terms=("a payment method and a credit purchase of at least $5 before any call",),
    limits="no free tier since 2025; the `-Free` models were retired by October 2025",
    source="https://support.together.ai/articles/1862638756-changes-to-free-tier-and-billing-july-2025",
    checked="2026-12-07",
)
"""Also https://docs.together.ai/docs/billing-credits (the $5 minimum), and the retired
`-Free` models reported in sahat/hackathon-starter#1513 (2025-11-21)."""

CHAT_TYPES = frozenset({"chat"})
_VISION_MODEL = re.compile(r"vision|(?:^|[-_/ ])vl(?:$|[-_ ])", re.IGNORECASE)
"""The list says nothing of capabilities; ids and names do ("DeepSeek-R1-...",
"Llama-Vision-Free", "Qwen2.5-Coder"). Tools are never claimed: nothing says so."""


# -- the model list ----------------------------------------------------------------------


def model_from_entry(entry: object) -> ModelInfo | None:
    """One entry of the list as a ModelInfo, never free (see the module docstring);
    None for a model that is not a chat model. Raises ValueError for an entry that
    cannot be read."""
    fields, model_id = entry_and_id(entry)
    if not _is_chat(fields):
        log_left_out(PROVIDER, model_id, "not chat")
        return None
    pricing = read_pricing(fields.get("pricing"))  # already in USD per million tokens
    display_name = stripped_str(fields.get("display_name")) or model_id
    return ModelInfo(
        provider=PROVIDER,
        name=model_id,
        display_name=display_name,
        context_length=positive_int(fields.get("context_length")),
        capabilities=_capabilities(f"{model_id} {display_name}"),
        pricing=pricing,
    )


def _is_chat(entry: Mapping[str, Any]) -> bool:
    """`type` says chat; an entry without a type is kept (older lists had none)."""
    kind = entry.get("type")
    return not isinstance(kind, str) or kind.strip().lower() in CHAT_TYPES


def _capabilities(names: str) -> set[Capability]:
    found = {Capability.TEXT, Capability.STREAMING}
    if is_code_model(names):
        found.add(Capability.CODE)
    if is_reasoning_model(names):
        found.add(Capability.REASONING)
    if _VISION_MODEL.search(names):
        found.add(Capability.VISION)
    return found


# -- the provider ------------------------------------------------------------------------


class TogetherProvider(OpenAICompatibleProvider):
    """The `together` provider: Together's `/v1` API, whose model list needs the key."""

    name = PROVIDER
    default_base_url = "https://api.together.xyz/v1"
    api_key_env: str | None = "TOGETHER_API_KEY"
    listing_key = None  # a bare JSON array
    free_tier = FREE_TIER
    model_from_entry = staticmethod(model_from_entry)

    def parse_models(self, document: object, ctx: ProviderContext) -> list[ModelInfo]:
        """Every chat model Together lists, in its order; an OpenAI-style
        `{"data": [...]}` is accepted too."""
        if isinstance(document, Mapping):
            document = document.get("data")
        return super().parse_models(document, ctx)


@hookimpl
def neoclone_register_providers(register: Callable[[Provider], None]) -> None:
    """Register the Together provider."""
    register(TogetherProvider())
