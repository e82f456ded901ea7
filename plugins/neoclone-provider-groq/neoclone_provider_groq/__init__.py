"""Groq for neoclone: lists the chat models Groq serves, all free within per-model limits.

Groq's free plan covers every model it hosts; what differs between models is the
rate limit (requests and tokens per minute, requests per day). Groq's own model list,
`GET /models`, needs a key and says little: id, owner, `context_window`, `active`. So
capabilities that the list does not carry come from Groq's documentation, by model
family, and speech, text-to-speech and safety-classifier models are left out because
they cannot answer a chat. Chat and streaming go through `neoclone_core.openai.compat`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from neoclone_core import Capability, ModelInfo, Provider, RateLimit, hookimpl
from neoclone_core.provider import Access, FreeTier
from neoclone_core.provider_kit import (
    OpenAICompatibleProvider,
    entry_and_id,
    is_code_model,
    log_left_out,
    positive_int,
)

__all__ = [
    "FREE_RATE_LIMITS",
    "GroqProvider",
    "model_from_entry",
    "neoclone_register_providers",
]

PROVIDER = "groq"


def _limit(rpm: int, rpd: int, tpm: int) -> RateLimit:
    return RateLimit(requests_per_minute=rpm, requests_per_day=rpd, tokens_per_minute=tpm)


FREE_RATE_LIMITS: Mapping[str, RateLimit] = {
    # Groq's free-plan table, https://console.groq.com/docs/rate-limits (as published in
    # late 2025, when the recording in tests/fixtures was made): RPM, RPD, TPM per model.
    # Groq calls it "a high level summary"; an organisation's own limits may differ.
    "allam-2-7b": _limit(30, 7_000, 6_000),
    "groq/compound": _limit(30, 250, 70_000),
    "groq/compound-mini": _limit(30, 250, 70_000),
    "llama-3.1-8b-instant": _limit(30, 14_400, 6_000),
    "llama-3.3-70b-versatile": _limit(30, 1_000, 12_000),
    "meta-llama/llama-4-maverick-17b-128e-instruct": _limit(30, 1_000, 6_000),
    "meta-llama/llama-4-scout-17b-16e-instruct": _limit(30, 1_000, 30_000),
    "moonshotai/kimi-k2-instruct": _limit(60, 1_000, 10_000),
    "moonshotai/kimi-k2-instruct-0905": _limit(60, 1_000, 10_000),
    "openai/gpt-oss-120b": _limit(30, 1_000, 8_000),
    "openai/gpt-oss-20b": _limit(30, 1_000, 8_000),
    "qwen/qwen3-32b": _limit(60, 1_000, 6_000),
    # Listed later (cheahjs/free-llm-api-resources, README of 2026-07-18, from Groq's
    # console): daily requests and tokens a minute, no per-minute request figure.
    "qwen/qwen3.6-27b": RateLimit(requests_per_day=1_000, tokens_per_minute=8_000),
}
"""Documented free-plan limits by model id; a model missing here gets `RateLimit()`
(unknown), never a guess."""

_NOT_CHAT = re.compile(r"whisper|tts|guard", re.IGNORECASE)
"""Models listed beside the chat models that cannot hold a conversation: Whisper
(speech to text, `/audio/transcriptions`), PlayAI TTS (text to speech, `/audio/speech`)
and the guard models (Llama Guard, Prompt Guard, gpt-oss-safeguard), safety
classifiers that answer "safe"/"unsafe" or a score rather than the user's request."""

_VISION = re.compile(r"llama-4|vision|llava", re.IGNORECASE)
"""Image input, per Groq's vision docs: the Llama 4 models (Scout, Maverick)."""

_REASONING = re.compile(r"gpt-oss|qwen3|qwq|deepseek-r1|magistral", re.IGNORECASE)
"""Reasoning models per Groq's reasoning docs (`reasoning_format`/`reasoning_effort`)."""

_NO_TOOLS = re.compile(r"allam|compound", re.IGNORECASE)
"""Groq's tool-use docs list every other chat model; ALLaM has no tool use and the
Compound systems run their own built-in tools and take no user-defined functions."""

"""Code models by id only, as in the OpenRouter provider."""


# -- the model list ----------------------------------------------------------------------


def model_from_entry(entry: object) -> ModelInfo | None:
    """One entry as a ModelInfo; None for an inactive or non-chat model.

    Every chat model is free (Groq's free plan covers them all) with the limits of
    `FREE_RATE_LIMITS`. The list carries no prices, so pricing stays unknown.
    """
    fields, model_id = entry_and_id(entry)
    why_not = _why_not_chat(fields, model_id)
    if why_not:
        log_left_out(PROVIDER, model_id, why_not)
        return None
    return ModelInfo(
        provider=PROVIDER,
        name=model_id,
        display_name=model_id,
        context_length=positive_int(fields.get("context_window")),
        capabilities=_capabilities(model_id),
        free=True,
        rate_limit=FREE_RATE_LIMITS.get(model_id, RateLimit()),
    )


def _why_not_chat(entry: Mapping[str, Any], model_id: str) -> str:
    if entry.get("active") is False:
        return "inactive"
    if _NOT_CHAT.search(model_id):
        return "not a chat model (speech, text-to-speech or safety classifier)"
    return ""


def _capabilities(model_id: str) -> set[Capability]:
    found = {Capability.TEXT, Capability.STREAMING}
    if not _NO_TOOLS.search(model_id):
        found.add(Capability.TOOLS)
    if _VISION.search(model_id):
        found.add(Capability.VISION)
    if _REASONING.search(model_id):
        found.add(Capability.REASONING)
    if is_code_model(model_id):
        found.add(Capability.CODE)
    return found


# -- the provider ------------------------------------------------------------------------


FREE_TIER = FreeTier(
    Access.FREE_MODELS,
    terms=(),
    limits="per model; Llama 3.3 70B: 1,000 requests a day, 12,000 tokens a minute;"
    " Llama 3.1 8B: 14,400 a day, 6,000 tokens a minute",
    source="https://console.groq.com/docs/rate-limits",
    checked="2026-07-18",
)
"""Limits as listed by cheahjs/free-llm-api-resources README (2026-07-18)."""


class GroqProvider(OpenAICompatibleProvider):
    """The `groq` provider: Groq's `/openai/v1` endpoints, the key required for the
    model list as for chat (MissingAPIKeyError before any request without one)."""

    name = PROVIDER
    default_base_url = "https://api.groq.com/openai/v1"
    api_key_env: str | None = "GROQ_API_KEY"
    free_tier = FREE_TIER
    model_from_entry = staticmethod(model_from_entry)


@hookimpl
def neoclone_register_providers(register: Callable[[Provider], None]) -> None:
    """Register the Groq provider."""
    register(GroqProvider())
