"""OpenRouter for neoclone: lists OpenRouter's models, tells the free ones, and runs them.

OpenRouter serves hundreds of models from many vendors behind one OpenAI-compatible
API. Some are free: their ids end in `:free`, or both their prompt and completion
prices are zero; they allow about 20 requests a minute and 50 a day. Discovery reads
the public `GET /models` list (no key needed); chat and streaming go through
`neoclone_core.openai_compat` and need `OPENROUTER_API_KEY`.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable, Mapping
from decimal import Decimal, InvalidOperation
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
from neoclone_core.errors import MalformedResponseError
from neoclone_core.openai_compat import chat_completion, get_json, stream_chat_completion

__all__ = [
    "APP_HEADERS",
    "FREE_RATE_LIMIT",
    "OpenRouterProvider",
    "model_from_entry",
    "neoclone_register_providers",
    "parse_models",
]

PROVIDER = "openrouter"
log = structlog.get_logger("neoclone")

FREE_RATE_LIMIT = RateLimit(requests_per_minute=20, requests_per_day=50)
"""OpenRouter's documented limits for `:free` models (1,000 a day after buying credits)."""

APP_HEADERS = {"X-Title": "neoclone"}
"""OpenRouter's optional app attribution. `HTTP-Referer` is left out: neoclone has no
site URL to give, and a made-up one would attribute traffic to someone else."""

_CODE_MODEL = re.compile(r"coder|codestral|devstral|codex|codellama|\bcode\b", re.IGNORECASE)
"""Code models by id or name only. Descriptions are not read: general models' blurbs
praise their coding too ("the world's best coding model"), which says nothing of a
specialised code model."""

_PER_MILLION = Decimal(1_000_000)


class OpenRouterProvider:
    """The `openrouter` provider: discovery from `/models`, chat through the shared client."""

    name: str = PROVIDER
    default_base_url: str = "https://openrouter.ai/api/v1"
    api_key_env: str | None = "OPENROUTER_API_KEY"

    async def discover(self, ctx: ProviderContext) -> list[ModelInfo]:
        """Every chat model OpenRouter lists, with prices, limits and capabilities."""
        return parse_models(await get_json(ctx, "/models"))

    async def chat(
        self, ctx: ProviderContext, model: ModelInfo, request: ChatRequest
    ) -> ChatResponse:
        """One completion; MissingAPIKeyError before any request when no key is set."""
        ctx.require_api_key()
        return await chat_completion(ctx, model, request, headers=APP_HEADERS)

    async def stream(
        self, ctx: ProviderContext, model: ModelInfo, request: ChatRequest
    ) -> AsyncIterator[ChatChunk]:
        """The completion's chunks as they arrive (OpenRouter's keep-alive comments
        and in-stream errors are handled by the shared client)."""
        ctx.require_api_key()
        async for chunk in stream_chat_completion(ctx, model, request, headers=APP_HEADERS):
            yield chunk


@hookimpl
def neoclone_register_providers(register: Callable[[Provider], None]) -> None:
    """Register the OpenRouter provider."""
    register(OpenRouterProvider())


# -- the model list ----------------------------------------------------------------------


class _Malformed(ValueError):
    """An entry of the model list cannot be read; it is skipped, not the whole list."""


def parse_models(document: object) -> list[ModelInfo]:
    """The chat models in a `GET /models` document, in its order.

    Entries that cannot be read are skipped with a `neoclone.model_skipped` warning, so
    one odd model never hides the others; models that do not output text are not chat
    models and are left out. A document without a `data` list raises
    MalformedResponseError.
    """
    data = document.get("data") if isinstance(document, Mapping) else None
    if not isinstance(data, list):
        msg = f"{PROVIDER}: malformed response: the model list has no 'data' list"
        raise MalformedResponseError(msg, provider=PROVIDER, status=200)
    models = []
    for index, entry in enumerate(data):
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


def model_from_entry(entry: object) -> ModelInfo | None:
    """One entry of the list as a ModelInfo; None for a model that outputs no text.

    Free when the id ends in `:free` or both prices are exactly zero; a price of "-1"
    (routers such as `openrouter/auto`) varies with the model routed to, so it is
    unknown (None), never free. Raises ValueError for an entry that cannot be read.
    """
    if not isinstance(entry, Mapping):
        msg = f"not an object but {type(entry).__name__}"
        raise _Malformed(msg)
    model_id = entry.get("id")
    if not isinstance(model_id, str) or not model_id.strip():
        msg = "no id"
        raise _Malformed(msg)
    architecture = _mapping(entry.get("architecture"))
    if "text" not in _modalities(architecture, "output"):
        log.debug(
            "neoclone.model_skipped", provider=PROVIDER, entry=model_id, reason="no text output"
        )
        return None
    pricing = _pricing(entry.get("pricing"))
    free = model_id.endswith(":free") or pricing.is_zero
    return ModelInfo(
        provider=PROVIDER,
        name=model_id,
        display_name=_text(entry.get("name")) or model_id,
        context_length=_context_length(entry),
        capabilities=_capabilities(entry, model_id, architecture),
        pricing=pricing,
        free=free,
        rate_limit=FREE_RATE_LIMIT if free else RateLimit(),
    )


def _pricing(value: object) -> Pricing:
    if value is None:
        return Pricing()
    if not isinstance(value, Mapping):
        msg = "pricing is not an object"
        raise _Malformed(msg)
    return Pricing(_per_million(value.get("prompt")), _per_million(value.get("completion")))


def _per_million(price: object) -> float | None:
    """USD per token ("0.000015", as OpenRouter writes it) as USD per million tokens.

    Decimal keeps "0.000015" at exactly 15.0. None for an absent or negative price.
    """
    if price is None:
        return None
    amount = _decimal(price)
    return None if amount < 0 else float(amount * _PER_MILLION)


def _decimal(price: object) -> Decimal:
    msg = f"price {price!r} is not a number"
    if isinstance(price, bool) or not isinstance(price, (str, int, float)):
        raise _Malformed(msg)
    try:
        amount = Decimal(str(price).strip())
    except InvalidOperation as exc:
        raise _Malformed(msg) from exc
    if not amount.is_finite():
        raise _Malformed(msg)
    return amount


def _capabilities(
    entry: Mapping[str, Any], model_id: str, architecture: Mapping[str, Any]
) -> set[Capability]:
    parameters = entry.get("supported_parameters")
    supported = (
        {p for p in parameters if isinstance(p, str)} if isinstance(parameters, list) else set()
    )
    found = {Capability.TEXT, Capability.STREAMING}
    if "image" in _modalities(architecture, "input"):
        found.add(Capability.VISION)
    if "tools" in supported:
        found.add(Capability.TOOLS)
    if supported & {"reasoning", "include_reasoning"}:
        found.add(Capability.REASONING)
    if _CODE_MODEL.search(model_id) or _CODE_MODEL.search(_text(entry.get("name"))):
        found.add(Capability.CODE)
    return found


def _modalities(architecture: Mapping[str, Any], side: str) -> set[str]:
    """`input_modalities`/`output_modalities`, else the older `modality` string
    ("text+image->text"), else text (what every model of the older lists did)."""
    listed = architecture.get(f"{side}_modalities")
    if isinstance(listed, list):
        return {m for m in listed if isinstance(m, str)}
    modality = architecture.get("modality")
    if isinstance(modality, str) and "->" in modality:
        inputs, _, outputs = modality.partition("->")
        return set((inputs if side == "input" else outputs).split("+"))
    return {"text"}


def _context_length(entry: Mapping[str, Any]) -> int | None:
    top_provider = _mapping(entry.get("top_provider"))
    for value in (entry.get("context_length"), top_provider.get("context_length")):
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
    return None


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _entry_name(entry: object, index: int) -> str:
    model_id = entry.get("id") if isinstance(entry, Mapping) else None
    return model_id if isinstance(model_id, str) and model_id else f"#{index}"
