"""GitHub Models for neoclone: lists the GitHub Models catalog and runs its models.

GitHub gives every account free API usage of its catalog, rate limited per model tier
(low: 15 requests a minute and 150 a day; high: 10 and 50; custom tiers per model, see
`_limits`), so every chat model of the catalog is free within those limits. The catalog
is `GET https://models.github.ai/catalog/models`; chat is the OpenAI-compatible
`POST /inference/chat/completions` with a GitHub token (`GITHUB_TOKEN`, a personal
access token with `models:read`).

Two catalog schemas exist and both are read: the older one (id, name, publisher,
rate_limit_tier, modalities, tags) and the newer one, which adds `capabilities`
("streaming", "tool-calling", "reasoning") and `limits.max_input_tokens`.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
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
    hookimpl,
)
from neoclone_core.errors import (
    AuthenticationError,
    MalformedResponseError,
)
from neoclone_core.openai_compat import chat_completion, get_json, stream_chat_completion
from neoclone_provider_github._limits import FreeLimits, free_limits

__all__ = [
    "API_HEADERS",
    "CATALOG_PATH",
    "CHAT_PATH",
    "FreeLimits",
    "GitHubModelsProvider",
    "free_limits",
    "model_from_entry",
    "neoclone_register_providers",
    "parse_models",
]

PROVIDER = "github"
CATALOG_PATH = "/catalog/models"
CHAT_PATH = "/inference/chat/completions"
API_HEADERS = {"X-GitHub-Api-Version": "2022-11-28"}
"""The REST API version GitHub's models documentation sends with every request."""

log = structlog.get_logger("neoclone")

_CODE_MODEL = re.compile(r"coder|codestral|devstral|codex|codellama", re.IGNORECASE)
_NOT_CHAT_TIERS = frozenset({"embeddings"})


class GitHubModelsProvider:
    """The `github` provider: the catalog for discovery, the inference API for chat."""

    name: str = PROVIDER
    default_base_url: str = "https://models.github.ai"
    api_key_env: str | None = "GITHUB_TOKEN"

    async def discover(self, ctx: ProviderContext) -> list[ModelInfo]:
        """Every chat model of the catalog (the token is sent when set; a catalog that
        refuses a request without one skips the scan with MissingAPIKeyError)."""
        with _token_wanted(ctx):
            document = await get_json(ctx, CATALOG_PATH, headers=API_HEADERS)
        return parse_models(document)

    async def chat(
        self, ctx: ProviderContext, model: ModelInfo, request: ChatRequest
    ) -> ChatResponse:
        """One completion; MissingAPIKeyError before any request when no token is set."""
        ctx.require_api_key()
        return await chat_completion(ctx, model, request, path=CHAT_PATH, headers=API_HEADERS)

    async def stream(
        self, ctx: ProviderContext, model: ModelInfo, request: ChatRequest
    ) -> AsyncIterator[ChatChunk]:
        """The completion's chunks as they arrive (Azure's leading content-filter event,
        which has no choices, yields nothing)."""
        ctx.require_api_key()
        async for chunk in stream_chat_completion(
            ctx, model, request, path=CHAT_PATH, headers=API_HEADERS
        ):
            yield chunk


@hookimpl
def neoclone_register_providers(register: Callable[[Provider], None]) -> None:
    """Register the GitHub Models provider."""
    register(GitHubModelsProvider())


# -- errors the shared mapping reads too generally ----------------------------------------


@contextlib.contextmanager
def _token_wanted(ctx: ProviderContext) -> Iterator[None]:
    """A 401/403 to a request sent without a token means "set one", not "bad token"."""
    try:
        yield
    except AuthenticationError:
        if ctx.api_key is None:
            ctx.require_api_key()
        raise


# -- the catalog -------------------------------------------------------------------------


class _Malformed(ValueError):
    """An entry of the catalog cannot be read; it is skipped, not the whole catalog."""


def parse_models(document: object) -> list[ModelInfo]:
    """The chat models of a catalog document (a JSON array), in its order.

    Entries that cannot be read are skipped with a `neoclone.model_skipped` warning;
    anything but a list raises MalformedResponseError.
    """
    if not isinstance(document, list):
        msg = f"{PROVIDER}: malformed response: the catalog is not a JSON array"
        raise MalformedResponseError(msg, provider=PROVIDER, status=200)
    models = []
    for index, entry in enumerate(document):
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
    """One catalog entry as a free ModelInfo; None for an embedding model.

    `context_length` is the smaller of the model's own input limit (newer schema) and
    the free tier's input tokens per request, since a longer prompt is refused.
    """
    if not isinstance(entry, Mapping):
        msg = f"not an object but {type(entry).__name__}"
        raise _Malformed(msg)
    model_id = entry.get("id")
    if not isinstance(model_id, str) or not model_id.strip():
        msg = "no id"
        raise _Malformed(msg)
    tier = _text(entry.get("rate_limit_tier"))
    if not _is_chat(entry, tier):
        log.debug("neoclone.model_skipped", provider=PROVIDER, entry=model_id, reason="not chat")
        return None
    limits = free_limits(model_id, tier)
    return ModelInfo(
        provider=PROVIDER,
        name=model_id,
        display_name=_text(entry.get("name")) or model_id,
        context_length=_smallest(_own_input_limit(entry), limits.max_input_tokens),
        capabilities=_capabilities(entry, model_id),
        pricing=Pricing(0.0, 0.0),
        free=True,
        rate_limit=limits.rate_limit,
    )


def _is_chat(entry: Mapping[str, Any], tier: str) -> bool:
    """Not an embeddings-tier model, and text among the outputs when outputs are listed
    (one older entry, Phi-3.5-vision-instruct, lists none; it is a chat model)."""
    if tier.lower() in _NOT_CHAT_TIERS:
        return False
    outputs = _strings(entry.get("supported_output_modalities"))
    return not outputs or "text" in outputs


def _capabilities(entry: Mapping[str, Any], model_id: str) -> set[Capability]:
    """From `capabilities` (newer schema), the input modalities, and GitHub's own tags.

    Without a `capabilities` list (older schema) streaming is assumed, as the inference
    API streams every chat model; tools are claimed only when listed.
    """
    listed = entry.get("capabilities")
    capabilities = _strings(listed)
    tags = _strings(entry.get("tags"))
    found = {Capability.TEXT}
    if not isinstance(listed, list) or "streaming" in capabilities:
        found.add(Capability.STREAMING)
    if "tool-calling" in capabilities:
        found.add(Capability.TOOLS)
    if "reasoning" in capabilities | tags:
        found.add(Capability.REASONING)
    if "coding" in tags or _CODE_MODEL.search(model_id):
        found.add(Capability.CODE)
    if "image" in _strings(entry.get("supported_input_modalities")):
        found.add(Capability.VISION)
    return found


def _own_input_limit(entry: Mapping[str, Any]) -> int | None:
    limits = entry.get("limits")
    value = limits.get("max_input_tokens") if isinstance(limits, Mapping) else None
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return None


def _smallest(*values: int | None) -> int | None:
    known = [v for v in values if v is not None]
    return min(known) if known else None


def _strings(value: object) -> set[str]:
    """A list of strings, stripped and lowercased (older tags carry leading spaces)."""
    if not isinstance(value, list):
        return set()
    return {item.strip().lower() for item in value if isinstance(item, str)}


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _entry_name(entry: object, index: int) -> str:
    model_id = entry.get("id") if isinstance(entry, Mapping) else None
    return model_id if isinstance(model_id, str) and model_id else f"#{index}"
