"""Ollama for neoclone: the models of a local Ollama server, all free, run where they are.

Ollama (https://ollama.com) serves models on the user's own machine, so they cost
nothing and work offline: the natural backups of every plan. Discovery reads the
server's `GET /api/tags` and `POST /api/show`; chat and streaming use its native
`POST /api/chat`. No key is needed. When nothing listens at the base URL (default
`http://127.0.0.1:11434`), the scan fails with the one-line reason "Ollama is not
running at ...", and the other providers' results are untouched.
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
from neoclone_core.provider import Access, FreeTier
from neoclone_provider_ollama._chat import chat, chat_body, stream_chat
from neoclone_provider_ollama._discovery import discover_models, model_from, tag_entries

__all__ = [
    "DEFAULT_BASE_URL",
    "OllamaProvider",
    "chat_body",
    "model_from",
    "neoclone_register_providers",
    "tag_entries",
]

DEFAULT_BASE_URL = "http://127.0.0.1:11434"
"""Where `ollama serve` listens unless OLLAMA_HOST says otherwise. 127.0.0.1 rather than
localhost: no IPv6-first resolution to fail over, and no DNS at all."""


FREE_TIER = FreeTier(
    Access.FREE_MODELS,
    terms=("runs on your own machine or server: its hardware, its electricity",),
    limits="none but the machine's",
    source="https://github.com/ollama/ollama/blob/main/docs/api.md",
    checked="2026-12-07",
)


class OllamaProvider:
    """The `ollama` provider: discovery from `/api/tags` + `/api/show`, chat via `/api/chat`."""

    name: str = "ollama"
    default_base_url: str = DEFAULT_BASE_URL
    api_key_env: str | None = None  # a local server; a proxy in front may add its own auth
    free_tier = FREE_TIER

    async def discover(self, ctx: ProviderContext) -> list[ModelInfo]:
        """Every chat model the server holds, with its context length and capabilities."""
        return await discover_models(ctx)

    async def chat(
        self, ctx: ProviderContext, model: ModelInfo, request: ChatRequest
    ) -> ChatResponse:
        """One completion, not streamed."""
        return await chat(ctx, model, request)

    async def stream(
        self, ctx: ProviderContext, model: ModelInfo, request: ChatRequest
    ) -> AsyncIterator[ChatChunk]:
        """The completion's chunks as the model writes them."""
        async for chunk in stream_chat(ctx, model, request):
            yield chunk


@hookimpl
def neoclone_register_providers(register: Callable[[Provider], None]) -> None:
    """Register the Ollama provider."""
    register(OllamaProvider())
