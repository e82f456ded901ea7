"""Gemini's native model list, page by page, read into catalog entries.

`GET /v1beta/models` answers `{"models": [...], "nextPageToken": "..."}`; the last page
has no token, and (protobuf JSON leaves empty lists out) an empty page may be `{}`.
Each entry names its methods in `supportedGenerationMethods`: only models with
`generateContent` can chat; the rest embed, count tokens or answer questions.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from neoclone_core import Capability, ModelInfo, ProviderContext, RateLimit
from neoclone_core.openai.compat import get_json
from neoclone_core.provider_kit import (
    UnreadableEntryError,
    entry_and_id,
    is_code_model,
    log_left_out,
    malformed,
    positive_int,
    read_entries,
    stripped_str,
)

PROVIDER = "gemini"
PAGE_SIZE = 1000  # the largest page the API serves
MAX_PAGES = 50  # a listing longer than 50,000 models is a server that never stops paging


def _limit(rpm: int, rpd: int, tpm: int) -> RateLimit:
    return RateLimit(requests_per_minute=rpm, requests_per_day=rpd, tokens_per_minute=tpm)


FREE_RATE_LIMITS: Mapping[str, RateLimit] = {
    # The free tier's limits by model family (RPM, RPD, input TPM) as listed on
    # 2026-07-18 by cheahjs/free-llm-api-resources from AI Studio's per-project limits
    # (https://ai.google.dev/gemini-api/docs/rate-limits shows no table any more). The
    # longest matching prefix wins, so "gemini-2.5-flash-lite-preview-09-2025" counts as
    # Flash-Lite, not Flash. Gemini 2.0 is no longer listed: its limits are unknown.
    "gemini-3.5-flash": _limit(5, 20, 250_000),
    "gemini-3-flash": _limit(5, 20, 250_000),
    "gemini-3.1-flash-lite": _limit(15, 500, 250_000),
    "gemini-2.5-flash-lite": _limit(10, 20, 250_000),
    "gemini-2.5-flash": _limit(5, 20, 250_000),
    "gemma-3": _limit(30, 14_400, 15_000),
}
"""Documented free-tier limits by name prefix; a free model of another family (a new
Flash, an alias such as `gemini-flash-latest`) gets `RateLimit()`, unknown."""

_FREE = re.compile(r"flash|gemma", re.IGNORECASE)
"""The Gemini API's free tier covers the Flash and Flash-Lite models and the Gemma
models (https://ai.google.dev/gemini-api/docs/pricing, "Free Tier: free of charge").
Pro models are not free: Gemini 2.5 Pro was taken off the free tier in December 2025."""

_NOT_CHAT = re.compile(r"tts|image|audio|live|embedding", re.IGNORECASE)
"""`generateContent` models that answer with speech or images, or only over the Live
API's websocket, rather than with text (`gemini-2.5-flash-preview-tts`,
`gemini-2.5-flash-image`, `gemini-2.5-flash-native-audio-...`)."""


async def fetch_models(ctx: ProviderContext, path: str) -> list[ModelInfo]:
    """Every chat model on every page, following `nextPageToken` until it is absent.

    A token seen twice, or more than MAX_PAGES pages, raises MalformedResponseError
    instead of looping for ever.
    """
    models: list[ModelInfo] = []
    seen: set[str] = set()
    token: str | None = None
    for _ in range(MAX_PAGES):
        params: dict[str, str | int] = {"pageSize": PAGE_SIZE}
        if token:
            params["pageToken"] = token
        page, token = parse_page(
            await get_json(ctx, path, params=params, key_header="x-goog-api-key")
        )
        models.extend(page)
        if token is None:
            return models
        if token in seen:
            msg = f"page token {token!r} came back twice"
            raise malformed(PROVIDER, msg)
        seen.add(token)
    msg = f"still paging after {MAX_PAGES} pages"
    raise malformed(PROVIDER, msg)


def parse_page(document: object) -> tuple[list[ModelInfo], str | None]:
    """The chat models of one page and the token of the next (None on the last page).

    Entries that cannot be read are skipped with a `neoclone.model_skipped` warning.
    A page that is not an object, or whose `models` is not a list, raises
    MalformedResponseError.
    """
    if not isinstance(document, Mapping):
        msg = f"a page is a JSON {type(document).__name__}, not an object"
        raise malformed(PROVIDER, msg)
    entries = document.get("models", [])
    if not isinstance(entries, list):
        msg = "a page's 'models' is not a list"
        raise malformed(PROVIDER, msg)
    token = document.get("nextPageToken")
    models = read_entries(entries, PROVIDER, model_from_entry, name_key="name")
    return models, token if isinstance(token, str) and token else None


def model_from_entry(entry: object) -> ModelInfo | None:
    """One entry as a ModelInfo; None for a model that cannot chat in text.

    The catalog name drops the `models/` prefix (`gemini-2.5-flash`), which is what
    the OpenAI-compatible endpoint expects. The list carries no prices.
    """
    fields, full_name = entry_and_id(entry, "name")
    name = _name(full_name)
    why_not = _why_not_chat(fields, name)
    if why_not:
        log_left_out(PROVIDER, name, why_not)
        return None
    free = bool(_FREE.search(name))
    return ModelInfo(
        provider=PROVIDER,
        name=name,
        display_name=stripped_str(fields.get("displayName")) or name,
        context_length=positive_int(fields.get("inputTokenLimit")),
        capabilities=_capabilities(fields, name),
        free=free,
        rate_limit=_free_limit(name) if free else RateLimit(),
    )


def _name(full_name: str) -> str:
    """`models/gemini-2.5-flash` as `gemini-2.5-flash`."""
    name = full_name.strip().removeprefix("models/")
    if not name:
        msg = "no name"
        raise UnreadableEntryError(msg)
    return name


def _why_not_chat(entry: Mapping[str, Any], name: str) -> str:
    methods = entry.get("supportedGenerationMethods")
    if not isinstance(methods, list) or "generateContent" not in methods:
        return "no generateContent (embedding or other non-chat model)"
    if _NOT_CHAT.search(name):
        return "answers with speech or images, or only over the Live API"
    return ""


def _capabilities(entry: Mapping[str, Any], name: str) -> set[Capability]:
    """Text and streaming for every chat model (`streamGenerateContent` goes with
    `generateContent`, though the list does not name it); image input and function
    calling for the Gemini models, which all have both (Gemma has neither through this
    API); reasoning when the entry says `thinking`."""
    found = {Capability.TEXT, Capability.STREAMING}
    if name.startswith("gemini"):
        found |= {Capability.VISION, Capability.TOOLS}
    if entry.get("thinking") is True:
        found.add(Capability.REASONING)
    if is_code_model(name):
        found.add(Capability.CODE)
    return found


def _free_limit(name: str) -> RateLimit:
    matches = [prefix for prefix in FREE_RATE_LIMITS if name.startswith(prefix)]
    return FREE_RATE_LIMITS[max(matches, key=len)] if matches else RateLimit()
