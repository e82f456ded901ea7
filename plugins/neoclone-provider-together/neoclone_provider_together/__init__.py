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

import math
import re
from collections.abc import AsyncIterator, Callable, Mapping
from typing import Any

import structlog

from neoclone_core import (
    Capability,
    ChatChunk,
    ChatRequest,
    ChatResponse,
    ModelInfo,
    Pricing,
    Provider,
    ProviderContext,
    RateLimit,
    hookimpl,
)
from neoclone_core.errors import (
    MalformedResponseError,
)
from neoclone_core.openai_compat import chat_completion, get_json, stream_chat_completion

__all__ = [
    "FREE_RATE_LIMIT",
    "TogetherProvider",
    "model_from_entry",
    "neoclone_register_providers",
    "parse_models",
]

PROVIDER = "together"
log = structlog.get_logger("neoclone")

FREE_RATE_LIMIT = RateLimit(requests_per_minute=60, tokens_per_minute=60_000)
"""Together's free tier for chat, language and code models: 60 requests and 60,000
tokens a minute ("Rate limits", docs.together.ai/docs/rate-limits, tier table). Newer
versions of that page describe dynamic per-model limits without fixed figures; these
are the last published ones."""

CHAT_TYPES = frozenset({"chat"})
_FREE_SUFFIX = "-free"
_CODE_MODEL = re.compile(r"coder|codestral|devstral|codellama|\bcode\b", re.IGNORECASE)
_REASONING_MODEL = re.compile(r"(?:^|[-_/ ])r1(?:$|[-_ ])|qwq|thinking|reason", re.IGNORECASE)
_VISION_MODEL = re.compile(r"vision|(?:^|[-_/ ])vl(?:$|[-_ ])", re.IGNORECASE)
"""The list says nothing of capabilities; ids and names do ("DeepSeek-R1-...",
"Llama-Vision-Free", "Qwen2.5-Coder"). Tools are never claimed: nothing says so."""


class TogetherProvider:
    """The `together` provider: discovery from `/models`, chat through the shared client."""

    name: str = PROVIDER
    default_base_url: str = "https://api.together.xyz/v1"
    api_key_env: str | None = "TOGETHER_API_KEY"

    async def discover(self, ctx: ProviderContext) -> list[ModelInfo]:
        """Every chat model Together lists; the list itself needs the key."""
        ctx.require_api_key()
        return parse_models(await get_json(ctx, "/models"))

    async def chat(
        self, ctx: ProviderContext, model: ModelInfo, request: ChatRequest
    ) -> ChatResponse:
        """One completion; MissingAPIKeyError before any request when no key is set."""
        ctx.require_api_key()
        return await chat_completion(ctx, model, request)

    async def stream(
        self, ctx: ProviderContext, model: ModelInfo, request: ChatRequest
    ) -> AsyncIterator[ChatChunk]:
        """The completion's chunks as they arrive."""
        ctx.require_api_key()
        async for chunk in stream_chat_completion(ctx, model, request):
            yield chunk


@hookimpl
def neoclone_register_providers(register: Callable[[Provider], None]) -> None:
    """Register the Together provider."""
    register(TogetherProvider())


# -- errors the shared mapping reads too generally ----------------------------------------


# -- the model list ----------------------------------------------------------------------


class _Malformed(ValueError):
    """An entry of the model list cannot be read; it is skipped, not the whole list."""


def parse_models(document: object) -> list[ModelInfo]:
    """The chat models in a `GET /models` document, in its order.

    The document is a bare array (an OpenAI-style `{"data": [...]}` is accepted too).
    Entries that cannot be read are skipped with a `neoclone.model_skipped` warning;
    anything but a list raises MalformedResponseError.
    """
    entries = _entries(document)
    models = []
    for index, entry in enumerate(entries):
        try:
            model = model_from_entry(entry)
        except (TypeError, ValueError) as exc:  # _Malformed, or a constructor refusing a value
            log.warning(
                "neoclone.model_skipped",
                provider=PROVIDER,
                entry=_entry_name(entry, index),
                reason=str(exc),
            )
            continue
        if model is not None:
            models.append(model)
    return models


def _entries(document: object) -> list[Any]:
    if isinstance(document, Mapping):
        document = document.get("data")
    if not isinstance(document, list):
        msg = f"{PROVIDER}: malformed response: the model list is not a JSON array"
        raise MalformedResponseError(msg, provider=PROVIDER, status=200)
    return document


def model_from_entry(entry: object) -> ModelInfo | None:
    """One entry of the list as a ModelInfo; None for a model that is not a chat model.

    Free when both prices are zero and the id ends in `-Free` (see the module
    docstring). Raises ValueError for an entry that cannot be read.
    """
    if not isinstance(entry, Mapping):
        msg = f"not an object but {type(entry).__name__}"
        raise _Malformed(msg)
    model_id = entry.get("id")
    if not isinstance(model_id, str) or not model_id.strip():
        msg = "no id"
        raise _Malformed(msg)
    if not _is_chat(entry):
        log.debug("neoclone.model_skipped", provider=PROVIDER, entry=model_id, reason="not chat")
        return None
    pricing = _pricing(entry.get("pricing"))
    free = pricing.is_zero and model_id.lower().endswith(_FREE_SUFFIX)
    display_name = _text(entry.get("display_name")) or model_id
    return ModelInfo(
        provider=PROVIDER,
        name=model_id,
        display_name=display_name,
        context_length=_context_length(entry.get("context_length")),
        capabilities=_capabilities(f"{model_id} {display_name}"),
        pricing=pricing,
        free=free,
        rate_limit=FREE_RATE_LIMIT if free else RateLimit(),
    )


def _is_chat(entry: Mapping[str, Any]) -> bool:
    """`type` says chat; an entry without a type is kept (older lists had none)."""
    kind = entry.get("type")
    return not isinstance(kind, str) or kind.strip().lower() in CHAT_TYPES


def _pricing(value: object) -> Pricing:
    if value is None:
        return Pricing()
    if not isinstance(value, Mapping):
        msg = "pricing is not an object"
        raise _Malformed(msg)
    return Pricing(_price(value.get("input")), _price(value.get("output")))


def _price(value: object) -> float | None:
    """USD per million tokens as Together writes it (a number; a numeric string is
    accepted). None when absent or negative."""
    if value is None:
        return None
    msg = f"price {value!r} is not a number"
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise _Malformed(msg)
    try:
        amount = float(value)
    except ValueError as exc:
        raise _Malformed(msg) from exc
    if not math.isfinite(amount):
        raise _Malformed(msg)
    return amount if amount >= 0 else None


def _capabilities(names: str) -> set[Capability]:
    found = {Capability.TEXT, Capability.STREAMING}
    for pattern, capability in (
        (_CODE_MODEL, Capability.CODE),
        (_REASONING_MODEL, Capability.REASONING),
        (_VISION_MODEL, Capability.VISION),
    ):
        if pattern.search(names):
            found.add(capability)
    return found


def _context_length(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return None


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _entry_name(entry: object, index: int) -> str:
    model_id = entry.get("id") if isinstance(entry, Mapping) else None
    return model_id if isinstance(model_id, str) and model_id else f"#{index}"
