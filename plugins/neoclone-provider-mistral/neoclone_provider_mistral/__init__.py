"""Mistral for neoclone: lists Mistral's chat models, free on its Experiment plan.

Mistral's API has a free plan, "Experiment": a workspace on it may call every model
Mistral serves, within the plan's rate limits (about one request a second and 500,000
tokens a minute), in exchange for letting Mistral use the requests to improve its
models. So every chat model the list shows is free; what the list says of each
(`capabilities`, `max_context_length`) fills in the rest. Chat and streaming go through
`neoclone_core.openai.compat`: Mistral's `/chat/completions` speaks OpenAI's dialect.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import datetime, timezone
from typing import Any

from neoclone_core import Capability, ModelInfo, Provider, ProviderContext, RateLimit, hookimpl
from neoclone_core.provider import Access, FreeTier
from neoclone_core.provider_kit import (
    OpenAICompatibleProvider,
    as_mapping,
    entry_and_id,
    is_code_model,
    log_left_out,
    parse_model_list,
    positive_int,
    stripped_str,
)

__all__ = [
    "FREE_RATE_LIMIT",
    "MistralProvider",
    "model_from_entry",
    "neoclone_register_providers",
    "parse_models",
]

PROVIDER = "mistral"

FREE_RATE_LIMIT = RateLimit(requests_per_minute=60, tokens_per_minute=500_000)
"""The Experiment plan's limits as Mistral documented them
(https://docs.mistral.ai/deployment/laplateforme/tier/): 1 request per second and
500,000 tokens per minute per workspace (and 1 billion tokens a month, which RateLimit
has no field for). Mistral now shows each workspace's own limits in its console."""

_REASONING = re.compile(r"magistral", re.IGNORECASE)
"""Magistral is Mistral's reasoning family; newer lists may also say `reasoning`."""


FREE_TIER = FreeTier(
    Access.FREE_MODELS,
    terms=(
        "phone number verification",
        "the free Experiment plan requires opting in to prompts being used for training",
    ),
    limits="per model: 1 request a second, 500,000 tokens a minute, 1,000,000,000 a month",
    source="https://docs.mistral.ai/deployment/laplateforme/tier/",
    checked="2026-07-18",
    trains_on_prompts=True,
)
"""Terms and limits as listed by cheahjs/free-llm-api-resources README (2026-07-18)."""


class MistralProvider(OpenAICompatibleProvider):
    """The `mistral` provider over Mistral's `/v1` API; its list wants the key, as chat does."""

    name = PROVIDER
    default_base_url = "https://api.mistral.ai/v1"
    api_key_env: str | None = "MISTRAL_API_KEY"
    free_tier = FREE_TIER

    def parse_models(self, document: object, ctx: ProviderContext) -> list[ModelInfo]:
        """Every current chat model Mistral lists (retirement dates are read against
        the context's clock)."""
        return parse_models(document, now=ctx.clock())


@hookimpl
def neoclone_register_providers(register: Callable[[Provider], None]) -> None:
    """Register the Mistral provider."""
    register(MistralProvider())


# -- the model list ----------------------------------------------------------------------


def parse_models(document: object, *, now: float) -> list[ModelInfo]:
    """The chat models in a `GET /models` document, in its order.

    Mistral lists one model under several ids (`mistral-large-latest` and the dated
    `mistral-large-2512`), each entry naming the others in `aliases`; only the first
    listed is kept, so a fallback chain never tries the same model twice. Entries that
    cannot be read are skipped with a `neoclone.model_skipped` warning. A document
    without a `data` list raises MalformedResponseError.
    """
    known: set[str] = set()

    def first_of_its_aliases(entry: object) -> ModelInfo | None:
        model = model_from_entry(entry, now=now)
        if model is None:
            return None
        if model.name in known:
            log_left_out(PROVIDER, model.name, "an alias of a model listed earlier")
            return None
        known.update({model.name, *_aliases(entry)})
        return model

    return parse_model_list(document, PROVIDER, first_of_its_aliases)


def model_from_entry(entry: object, *, now: float) -> ModelInfo | None:
    """One entry as a ModelInfo; None for a model that cannot chat or is retired.

    Every chat model is free on the Experiment plan, except fine-tuned ones (fine-tuning
    is a paid feature). The list carries no prices, so pricing stays unknown.
    """
    fields, model_id = entry_and_id(entry)
    model_id = model_id.strip()
    capabilities = as_mapping(fields.get("capabilities"))
    why_not = _why_not_listed(fields, capabilities, now)
    if why_not:
        log_left_out(PROVIDER, model_id, why_not)
        return None
    free = fields.get("type") != "fine-tuned"
    return ModelInfo(
        provider=PROVIDER,
        name=model_id,
        display_name=stripped_str(fields.get("name")) or model_id,
        context_length=positive_int(fields.get("max_context_length")),
        capabilities=_capabilities(model_id, capabilities),
        free=free,
        rate_limit=FREE_RATE_LIMIT if free else RateLimit(),
    )


def _why_not_listed(entry: Mapping[str, Any], capabilities: Mapping[str, Any], now: float) -> str:
    if capabilities.get("completion_chat") is not True:
        return "not a chat model (embeddings, moderation, OCR, ...)"
    retired_at = _timestamp(entry.get("deprecation"))
    if retired_at is not None and retired_at <= now:
        return "deprecated and past its retirement date"
    return ""


def _capabilities(model_id: str, capabilities: Mapping[str, Any]) -> set[Capability]:
    """From the entry's own `capabilities`: `function_calling` → tools, `vision` →
    vision, `completion_fim` (fill-in-the-middle, a code editor's call) → code,
    `reasoning` → reasoning; the id adds code (Codestral, Devstral) and reasoning
    (Magistral) for lists that predate those flags."""
    found = {Capability.TEXT, Capability.STREAMING}
    if capabilities.get("function_calling") is True:
        found.add(Capability.TOOLS)
    if capabilities.get("vision") is True:
        found.add(Capability.VISION)
    if capabilities.get("completion_fim") is True or is_code_model(model_id):
        found.add(Capability.CODE)
    if capabilities.get("reasoning") is True or _REASONING.search(model_id):
        found.add(Capability.REASONING)
    return found


def _timestamp(value: object) -> float | None:
    """An ISO 8601 date or time ("2025-03-30T12:00:00Z") as POSIX seconds, else None."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return (when if when.tzinfo else when.replace(tzinfo=timezone.utc)).timestamp()


def _aliases(entry: object) -> set[str]:
    aliases = entry.get("aliases") if isinstance(entry, Mapping) else None
    if not isinstance(aliases, list):
        return set()
    return {a for a in aliases if isinstance(a, str) and a}
