"""Google Gemini for neoclone: lists the Gemini API's models and runs the free ones.

The Gemini API (Google AI Studio keys, not Vertex AI) has a free tier that covers the
Flash and Flash-Lite models and the Gemma models, each with its own per-minute and
per-day limits; Gemini 2.5 Pro left the free tier in December 2025. Discovery pages
through the native `GET /v1beta/models`; chat and streaming use Gemini's
OpenAI-compatible endpoint (`/v1beta/openai/chat/completions`) through
`neoclone_core.openai.compat`, so Gemini shares the SSE reader and error mapping of
every other provider. The key travels only in the `x-goog-api-key` header.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from neoclone_core import ModelInfo, Provider, ProviderContext, hookimpl
from neoclone_core.models import QuotaReading
from neoclone_core.openai.compat import StreamQuirks
from neoclone_core.openai.rate_limit_headers import read_quota
from neoclone_core.provider import Access, FreeTier
from neoclone_core.provider_kit import OpenAICompatibleProvider
from neoclone_core.quota import DayStart, QuotaRules
from neoclone_provider_gemini._listing import (
    FREE_RATE_LIMITS,
    PROVIDER,
    fetch_models,
    model_from_entry,
    parse_page,
)
from neoclone_provider_gemini._quota import quota_from_error

__all__ = [
    "CHAT_PATH",
    "FREE_RATE_LIMITS",
    "MODELS_PATH",
    "GeminiProvider",
    "model_from_entry",
    "neoclone_register_providers",
    "parse_page",
    "quota_from_error",
]

MODELS_PATH = "/v1beta/models"
KEY_HEADER = "x-goog-api-key"
"""Google wants the key here and nowhere else: a request that also carries
`Authorization: Bearer` gets HTTP 400 "Multiple authentication credentials received"
(NousResearch/hermes-agent#7893), and the native list refuses a Bearer key (401)."""
CHAT_PATH = "/v1beta/openai/chat/completions"


FREE_TIER = FreeTier(
    Access.FREE_MODELS,
    terms=(
        "prompts and answers are used to improve Google's products (training) outside"
        " the UK, Switzerland, the EEA and the EU",
    ),
    limits="per model; Gemini 2.5 Flash: 5 requests a minute, 20 a day, 250,000 tokens a"
    " minute; Gemma 3: 30 a minute, 14,400 a day",
    source="https://ai.google.dev/gemini-api/docs/rate-limits",
    checked="2026-07-18",
    trains_on_prompts=True,
)
"""Terms and limits as listed by cheahjs/free-llm-api-resources README (2026-07-18); the terms from
https://ai.google.dev/gemini-api/terms ("unpaid services")."""


class GeminiProvider(OpenAICompatibleProvider):
    """The `gemini` provider: paged discovery from the native list, chat through the
    OpenAI-compatible endpoint with the key in `x-goog-api-key`."""

    name = PROVIDER
    default_base_url = "https://generativelanguage.googleapis.com"
    api_key_env: str | None = "GEMINI_API_KEY"
    free_tier = FREE_TIER
    models_path = MODELS_PATH
    chat_path = CHAT_PATH
    key_header = KEY_HEADER
    # Its tool-call pieces come without `index`, and a stream of them ends with "stop".
    stream_quirks = StreamQuirks(unindexed_tool_calls=True)
    # Limits per model; "Requests per day (RPD) quotas reset at midnight Pacific time"
    # (ai.google.dev/gemini-api/docs/rate-limits).
    quota_rules = QuotaRules(day_start=DayStart.PACIFIC)

    async def discover(self, ctx: ProviderContext) -> list[ModelInfo]:
        """Every chat model on every page of the list. The list needs the key, so
        without one this raises MissingAPIKeyError before any request."""
        ctx.require_api_key()
        return await fetch_models(ctx, self.models_path)

    def quota_reading(
        self, headers: Mapping[str, str], body: object, now: float
    ) -> QuotaReading | None:
        """Headers first, should Gemini ever send them; else what a 429 body's quota
        details say ran out (`quota_from_error`: a day quota until midnight Pacific)."""
        return read_quota(headers, body, now) or quota_from_error(body, now)


@hookimpl
def neoclone_register_providers(register: Callable[[Provider], None]) -> None:
    """Register the Gemini provider."""
    register(GeminiProvider())
