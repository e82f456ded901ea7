"""OpenCode Zen for neoclone: lists Zen's models, tells the free ones, and runs them.

OpenCode Zen (https://opencode.ai/docs/zen) is a gateway to a curated set of models the
OpenCode team tested for coding agents. A few are free: their ids end in `-free`, and
a handful of promotional models (such as `big-pickle`) are free for a limited time
without the suffix. Its `GET /models` list is OpenAI-shaped and says nothing but ids,
so prices, context lengths and capabilities are unknown; the free models speak
OpenAI's `/chat/completions`, which `neoclone_core.openai_compat` runs.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Mapping

import structlog

from neoclone_core import (
    Capability,
    ChatChunk,
    ChatRequest,
    ChatResponse,
    ModelInfo,
    Provider,
    ProviderContext,
    hookimpl,
)
from neoclone_core.errors import MalformedResponseError
from neoclone_core.openai_compat import chat_completion, get_json, stream_chat_completion

__all__ = [
    "CLIENT_HEADERS",
    "PROMOTIONAL_FREE_MODELS",
    "OpenCodeZenProvider",
    "is_free",
    "neoclone_register_providers",
    "parse_models",
]

PROVIDER = "opencode"
log = structlog.get_logger("neoclone")

PROMOTIONAL_FREE_MODELS: frozenset[str] = frozenset({"big-pickle"})
"""Zen models that are free without a `-free` suffix, as Zen's pricing table listed them
when this was written (https://opencode.ai/docs/zen, "Pricing": Big Pickle, free for
a limited time). Promotions come and go: pass `promotional_free=` to
`OpenCodeZenProvider` to change the set without waiting for a release."""

FREE_SUFFIX = "-free"

CLIENT_HEADERS: Mapping[str, str] = {"User-Agent": "neoclone"}
"""opencode.ai sits behind a web firewall that has refused generic library user agents
(Python-urllib got a 403 from `/models`, NousResearch/hermes-agent#2651); an honest
product name is what other clients send."""

_CAPABILITIES = frozenset({Capability.TEXT, Capability.STREAMING, Capability.CODE})
"""What every Zen model can be relied on for: the list says nothing per model, but Zen
only carries chat models chosen for coding agents, served with streaming."""


class OpenCodeZenProvider:
    """The `opencode` provider: discovery from `/models`, chat through the shared client."""

    name: str = PROVIDER
    default_base_url: str = "https://opencode.ai/zen/v1"
    api_key_env: str | None = "OPENCODE_API_KEY"

    def __init__(self, promotional_free: Iterable[str] = PROMOTIONAL_FREE_MODELS) -> None:
        self.promotional_free = frozenset(promotional_free)

    async def discover(self, ctx: ProviderContext) -> list[ModelInfo]:
        """Every model Zen lists; the list is public, the key is sent when set (Zen then
        lists only the models the account may use)."""
        document = await get_json(ctx, "/models", headers=CLIENT_HEADERS)
        return parse_models(document, self.promotional_free)

    async def chat(
        self, ctx: ProviderContext, model: ModelInfo, request: ChatRequest
    ) -> ChatResponse:
        """One completion; MissingAPIKeyError before any request when no key is set
        (Zen wants a key even for its free models)."""
        ctx.require_api_key()
        return await chat_completion(ctx, model, request, headers=CLIENT_HEADERS)

    async def stream(
        self, ctx: ProviderContext, model: ModelInfo, request: ChatRequest
    ) -> AsyncIterator[ChatChunk]:
        """The completion's chunks as they arrive."""
        ctx.require_api_key()
        async for chunk in stream_chat_completion(ctx, model, request, headers=CLIENT_HEADERS):
            yield chunk


@hookimpl
def neoclone_register_providers(register: Callable[[Provider], None]) -> None:
    """Register the OpenCode Zen provider."""
    register(OpenCodeZenProvider())


# -- the model list ----------------------------------------------------------------------


def is_free(model_id: str, promotional_free: Iterable[str] = PROMOTIONAL_FREE_MODELS) -> bool:
    """Zen's rule: an id ending in `-free`, or one of the promotional free models."""
    return model_id.endswith(FREE_SUFFIX) or model_id in frozenset(promotional_free)


def parse_models(
    document: object, promotional_free: Iterable[str] = PROMOTIONAL_FREE_MODELS
) -> list[ModelInfo]:
    """The models of a `GET /models` document, in its order.

    Entries without a usable id are skipped with a `neoclone.model_skipped` warning; a
    document without a `data` list raises MalformedResponseError. Pricing stays unknown
    (None): Zen's list carries none, and a paid model is never guessed free.
    """
    data = document.get("data") if isinstance(document, Mapping) else None
    if not isinstance(data, list):
        msg = f"{PROVIDER}: malformed response: the model list has no 'data' list"
        raise MalformedResponseError(msg, provider=PROVIDER, status=200)
    promotional = frozenset(promotional_free)
    models = []
    for index, entry in enumerate(data):
        model_id = entry.get("id") if isinstance(entry, Mapping) else None
        if not isinstance(model_id, str) or not model_id.strip():
            log.warning(
                "neoclone.model_skipped", provider=PROVIDER, entry=f"#{index}", reason="no id"
            )
            continue
        models.append(_model(model_id.strip(), promotional))
    return models


def _model(model_id: str, promotional_free: frozenset[str]) -> ModelInfo:
    return ModelInfo(
        provider=PROVIDER,
        name=model_id,
        display_name=model_id,
        capabilities=_CAPABILITIES,
        free=is_free(model_id, promotional_free),
    )
