"""Replicate for neoclone: its official language models, listed honestly as not free.

Replicate (https://replicate.com) runs models as predictions and bills each one: per
token for its official language models, per second of hardware for the rest. It
documents no free allowance (https://replicate.com/pricing); an account living on
credit Replicate granted, without a payment method, is held to 6 requests a minute
(https://replicate.com/docs/topics/predictions/rate-limits). So every model this
provider lists has `free=False`: neoclone offers them only to users who ask for paid
models. Its API is not OpenAI-compatible; chat is a prediction whose
output is joined, and streaming hands that output over as one chunk.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

from neoclone_core import (
    ChatChunk,
    ChatRequest,
    ChatResponse,
    ModelInfo,
    Provider,
    ProviderContext,
    hookimpl,
)
from neoclone_core.openai.compat import get_json
from neoclone_core.provider import Access, FreeTier
from neoclone_provider_replicate._listing import model_from_entry, parse_collection
from neoclone_provider_replicate._predictions import prediction_input, run_prediction

__all__ = [
    "COLLECTION",
    "ReplicateProvider",
    "model_from_entry",
    "neoclone_register_providers",
    "parse_collection",
    "prediction_input",
]

COLLECTION = "language-models"
"""The collection Replicate curates its text-generating models in."""


FREE_TIER = FreeTier(
    Access.PAID,
    terms=("billed per second of compute or per output",),
    limits="no free tier",
    source="https://replicate.com/pricing",
    checked="2026-12-07",
)


class ReplicateProvider:
    """The `replicate` provider: discovery from a collection, chat through predictions."""

    name: str = "replicate"
    default_base_url: str = "https://api.replicate.com/v1"
    api_key_env: str | None = "REPLICATE_API_TOKEN"
    free_tier = FREE_TIER

    def __init__(self, *, collection: str = COLLECTION, poll_interval: float = 0.5) -> None:
        self.collection = collection
        self.poll_interval = poll_interval  # between polls of a prediction still running

    async def discover(self, ctx: ProviderContext) -> list[ModelInfo]:
        """The collection's official models; every Replicate endpoint wants the token, so
        without one the provider is skipped with MissingAPIKeyError."""
        ctx.require_api_key()
        return parse_collection(await get_json(ctx, f"/collections/{self.collection}"))

    async def chat(
        self, ctx: ProviderContext, model: ModelInfo, request: ChatRequest
    ) -> ChatResponse:
        """One prediction, waited for; MissingAPIKeyError before any request without a key."""
        return await run_prediction(ctx, model, request, poll_interval=self.poll_interval)

    async def stream(
        self, ctx: ProviderContext, model: ModelInfo, request: ChatRequest
    ) -> AsyncIterator[ChatChunk]:
        """The whole answer as one chunk, once the prediction is done.

        Replicate can stream (server-sent events at the prediction's `urls.stream`), but
        this provider does not read them yet: callers get a correct answer, late.
        """
        response = await self.chat(ctx, model, request)
        yield ChatChunk(response.content, response.finish_reason or "stop")


@hookimpl
def neoclone_register_providers(register: Callable[[Provider], None]) -> None:
    """Register the Replicate provider."""
    register(ReplicateProvider())
