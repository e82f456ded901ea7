"""Together AI for neoclone: lists Together's chat models, tells the free ones, and runs them.

Together serves open models behind an OpenAI-compatible API. Its `GET /models` list (a
bare JSON array, key required) prices every model in USD per million tokens. A model is
free when both its input and output prices are zero AND its id ends in `-Free` (any
case): Together names its free serverless endpoints that way
(`meta-llama/Llama-3.3-70B-Instruct-Turbo-Free`). The suffix is required because the
same list also carries models that are only served on dedicated endpoints; public
reports show most of the catalogue answering 400 "Unable to access non-serverless
model", and such entries show no per-token price, so a zero price alone does not mean a
model can be called for free. Only `type: "chat"` models are listed (embedding, image,
rerank, moderation and base "language" models cannot serve a chat completion).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from neoclone_core import Capability, ModelInfo, Provider, ProviderContext, RateLimit, hookimpl
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
    "FREE_RATE_LIMIT",
    "TogetherProvider",
    "model_from_entry",
    "neoclone_register_providers",
]

PROVIDER = "together"

FREE_RATE_LIMIT = RateLimit(requests_per_minute=60, tokens_per_minute=60_000)
"""Together's free tier for chat, language and code models: 60 requests and 60,000
tokens a minute ("Rate limits", docs.together.ai/docs/rate-limits, tier table). Newer
versions of that page describe dynamic per-model limits without fixed figures; these
are the last published ones."""

CHAT_TYPES = frozenset({"chat"})
_FREE_SUFFIX = "-free"
_VISION_MODEL = re.compile(r"vision|(?:^|[-_/ ])vl(?:$|[-_ ])", re.IGNORECASE)
"""The list says nothing of capabilities; ids and names do ("DeepSeek-R1-...",
"Llama-Vision-Free", "Qwen2.5-Coder"). Tools are never claimed: nothing says so."""


# -- the model list ----------------------------------------------------------------------


def model_from_entry(entry: object) -> ModelInfo | None:
    """One entry of the list as a ModelInfo; None for a model that is not a chat model.

    Free when both prices are zero and the id ends in `-Free` (see the module
    docstring). Raises ValueError for an entry that cannot be read.
    """
    fields, model_id = entry_and_id(entry)
    if not _is_chat(fields):
        log_left_out(PROVIDER, model_id, "not chat")
        return None
    pricing = read_pricing(fields.get("pricing"))  # already in USD per million tokens
    free = pricing.is_zero and model_id.lower().endswith(_FREE_SUFFIX)
    display_name = stripped_str(fields.get("display_name")) or model_id
    return ModelInfo(
        provider=PROVIDER,
        name=model_id,
        display_name=display_name,
        context_length=positive_int(fields.get("context_length")),
        capabilities=_capabilities(f"{model_id} {display_name}"),
        pricing=pricing,
        free=free,
        rate_limit=FREE_RATE_LIMIT if free else RateLimit(),
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
