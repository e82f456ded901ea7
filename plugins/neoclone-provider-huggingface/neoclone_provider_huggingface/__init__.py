"""Hugging Face Inference Providers for neoclone: the router's chat models, and calls.

The router (`https://router.huggingface.co/v1`) is an OpenAI-compatible front for many
inference providers (Together, Novita, Fireworks, ...). Its public `GET /models` list
gives, per model, the providers serving it with their status, context length, prices
and tool support; chat goes through `neoclone_core.openai_compat` with `HF_TOKEN`.

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

import contextlib
from collections.abc import AsyncIterator, Callable, Iterator

from neoclone_core import (
    ChatChunk,
    ChatRequest,
    ChatResponse,
    ModelInfo,
    Provider,
    ProviderContext,
    hookimpl,
)
from neoclone_core.errors import (
    AuthenticationError,
)
from neoclone_core.openai_compat import chat_completion, get_json, stream_chat_completion
from neoclone_provider_huggingface._listing import PROVIDER, model_from_entry, parse_models

__all__ = [
    "HuggingFaceProvider",
    "model_from_entry",
    "neoclone_register_providers",
    "parse_models",
]


class HuggingFaceProvider:
    """The `huggingface` provider: discovery from the router's `/models`, chat through
    the shared client."""

    name: str = PROVIDER
    default_base_url: str = "https://router.huggingface.co/v1"
    api_key_env: str | None = "HF_TOKEN"

    async def discover(self, ctx: ProviderContext) -> list[ModelInfo]:
        """The router's chat models. The list is public (the token is sent when set);
        should it ever refuse a request without one, the scan is skipped with
        MissingAPIKeyError rather than failed."""
        with _token_wanted(ctx):
            document = await get_json(ctx, "/models")
        return parse_models(document)

    async def chat(
        self, ctx: ProviderContext, model: ModelInfo, request: ChatRequest
    ) -> ChatResponse:
        """One completion; MissingAPIKeyError before any request when no token is set."""
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
    """Register the Hugging Face provider."""
    register(HuggingFaceProvider())


@contextlib.contextmanager
def _token_wanted(ctx: ProviderContext) -> Iterator[None]:
    """A 401/403 to a request sent without a token means "set one", not "bad token"."""
    try:
        yield
    except AuthenticationError:
        if ctx.api_key is None:
            ctx.require_api_key()
        raise
