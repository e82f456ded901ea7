"""Cloudflare Workers AI for neoclone: its text-generation models, free within a daily
allocation of 10,000 neurons.

The catalog is Cloudflare's own API, `GET /accounts/<account>/ai/models/search`, whose
`result` entries name the model (`@cf/meta/llama-3.3-70b-instruct-fp8-fast`), its task
("Text Generation" for chat models) and `properties` (context window, prices, function
calling, vision, reasoning). Chat goes to the account's OpenAI-compatible
`/ai/v1/chat/completions`. Every URL holds the account id: from the options table, from
`$CLOUDFLARE_ACCOUNT_ID`, or already in a configured `base_url`.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from typing import Any
from urllib.parse import urlsplit

import attrs

from neoclone_core import (
    Capability,
    ChatChunk,
    ChatRequest,
    ChatResponse,
    ModelInfo,
    Pricing,
    Provider,
    ProviderContext,
    hookimpl,
)
from neoclone_core.errors import MissingAPIKeyError
from neoclone_core.provider import Access, FreeTier
from neoclone_core.provider_kit import (
    OpenAICompatibleProvider,
    as_mapping,
    chat_capabilities,
    entry_and_id,
    log_left_out,
    positive_int,
    price_per_million,
    stripped_str,
)

__all__ = ["ACCOUNT_ENV", "FREE_TIER", "CloudflareProvider", "model_from_entry"]

PROVIDER = "cloudflare"
ACCOUNT_ENV = "CLOUDFLARE_ACCOUNT_ID"
CHAT_TASK = "text generation"
LISTING_PARAMS = {"per_page": 1000}  # one page holds the whole catalog

FREE_TIER = FreeTier(
    Access.FREE_MODELS,
    terms=(
        "a Cloudflare account; the allocation is compute (neurons) shared by all models,"
        " so a large model uses it up in fewer requests",
    ),
    limits="10,000 neurons a day",
    source="https://developers.cloudflare.com/workers-ai/platform/pricing/#free-allocation",
    checked="2026-07-18",
)
_FLAGS = {
    "function_calling": Capability.TOOLS,
    "vision": Capability.VISION,
    "reasoning": Capability.REASONING,
}


def model_from_entry(entry: object) -> ModelInfo | None:
    """One `result` entry as a free chat model; None for any task but text generation."""
    fields, name = entry_and_id(entry, "name")
    task = stripped_str(as_mapping(fields.get("task")).get("name")).lower()
    if task != CHAT_TASK:
        log_left_out(PROVIDER, name, f"task {task or 'unknown'!r}, not text generation")
        return None
    properties = _properties(fields.get("properties"))
    flags = {cap for key, cap in _FLAGS.items() if str(properties.get(key)).lower() == "true"}
    return ModelInfo(
        provider=PROVIDER,
        name=name,
        display_name=name.rsplit("/", 1)[-1],
        context_length=_int(properties.get("context_window")),
        capabilities=chat_capabilities(name) | flags,
        pricing=_pricing(properties.get("price")),
        free=True,
    )


def _properties(value: object) -> dict[str, Any]:
    """`[{"property_id": k, "value": v}, ...]` as `{k: v}`."""
    items = value if isinstance(value, list) else []
    return {
        str(item["property_id"]): item.get("value")
        for item in (as_mapping(i) for i in items)
        if "property_id" in item
    }


def _int(value: object) -> int | None:
    """A count written as a number or as digits ("128000")."""
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return positive_int(value)


def _pricing(value: object) -> Pricing:
    """The prices beyond the free allocation, per million input and output tokens."""
    prices = {
        stripped_str(as_mapping(p).get("unit")): as_mapping(p).get("price")
        for p in (value if isinstance(value, list) else [])
    }
    return Pricing(
        price_per_million(prices.get("per M input tokens")),
        price_per_million(prices.get("per M output tokens")),
    )


def _account_id(ctx: ProviderContext) -> str | None:
    account = ctx.options.get("account_id") or os.environ.get(ACCOUNT_ENV)
    return str(account) if account else None


class CloudflareProvider(OpenAICompatibleProvider):
    """The `cloudflare` provider: Workers AI under one account."""

    name = PROVIDER
    default_base_url = "https://api.cloudflare.com/client/v4"
    api_key_env: str | None = "CLOUDFLARE_API_TOKEN"
    models_path = "/ai/models/search"
    chat_path = "/ai/v1/chat/completions"
    listing_key = "result"
    listing_params = LISTING_PARAMS
    free_tier = FREE_TIER
    model_from_entry = staticmethod(model_from_entry)

    def for_account(self, ctx: ProviderContext) -> ProviderContext:
        """`ctx` with the account in its base URL. MissingAPIKeyError when Cloudflare's
        own API is called without an account id (no request would succeed)."""
        if "/accounts/" in ctx.base_url:
            return ctx
        account = _account_id(ctx)
        if account:
            return attrs.evolve(ctx, base_url=f"{ctx.base_url}/accounts/{account}")
        if urlsplit(ctx.base_url).hostname == "api.cloudflare.com":
            msg = f"{PROVIDER}: no account id (set {ACCOUNT_ENV} or options.account_id)"
            raise MissingAPIKeyError(msg, provider=PROVIDER, env_var=ACCOUNT_ENV)
        return ctx  # a proxy or a test server that routes by itself

    async def discover(self, ctx: ProviderContext) -> list[ModelInfo]:
        """The text-generation models of the account's catalog."""
        if self.discovery_needs_key:
            ctx.require_api_key()
        return await super().discover(self.for_account(ctx))

    async def chat(
        self, ctx: ProviderContext, model: ModelInfo, request: ChatRequest
    ) -> ChatResponse:
        """One completion through the account's OpenAI-compatible endpoint."""
        ctx.require_api_key()
        return await super().chat(self.for_account(ctx), model, request)

    async def stream(
        self, ctx: ProviderContext, model: ModelInfo, request: ChatRequest
    ) -> AsyncIterator[ChatChunk]:
        """The completion's chunks, from the account's OpenAI-compatible endpoint."""
        ctx.require_api_key()
        async for chunk in super().stream(self.for_account(ctx), model, request):
            yield chunk


@hookimpl
def neoclone_register_providers(register: Callable[[Provider], None]) -> None:
    """Register the Cloudflare Workers AI provider."""
    register(CloudflareProvider())
