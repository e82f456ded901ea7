"""OpenRouter for neoclone: lists OpenRouter's models, tells the free ones, and runs them.

OpenRouter serves hundreds of models from many vendors behind one OpenAI-compatible
API. Some are free: chat models (text in, text and only text out) whose ids end in `:free`
or whose prompt and completion prices are both zero; they allow about 20 requests a
minute and 50 a day. A zero-priced model that outputs audio or images as well (the
Lyria music models: `text+audio`) is no chat model and is left out. Discovery reads
the public `GET /models` list (no key needed); chat and streaming go through
`neoclone_core.openai.compat` and need `OPENROUTER_API_KEY`.

With a key set, the account's own daily limit for free models is read from
`GET /key` (`free_model_daily_requests.limit`: 50, or 1,000 after a $10 top-up) and
put on every free model in place of the general figure.

The list's `benchmarks.artificial_analysis` scores are kept on each model
(`ModelInfo.figures`); with `[providers.openrouter.options] endpoint_figures = true`
discovery also asks `GET /models/{id}/endpoints` for each free model and keeps its
best endpoint's uptime and median latency (one request per free model).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any, TypeGuard

import attrs

from neoclone_core import Capability, ModelInfo, Provider, ProviderContext, RateLimit, hookimpl
from neoclone_core.errors import ProviderError
from neoclone_core.log import log
from neoclone_core.models import ProviderFigures
from neoclone_core.openai.compat import get_json
from neoclone_core.provider import Access, FreeTier
from neoclone_core.provider_kit import (
    OpenAICompatibleProvider,
    as_mapping,
    entry_and_id,
    is_code_model,
    log_left_out,
    not_chat_by_name,
    not_chat_by_output,
    positive_int,
    read_pricing,
    stripped_str,
)
from neoclone_core.quota import DayStart, QuotaRules, QuotaScope

__all__ = [
    "APP_HEADERS",
    "FREE_RATE_LIMIT",
    "FREE_TIER",
    "QUOTA_RULES",
    "OpenRouterProvider",
    "daily_limit_from_key",
    "figures_from_endpoints",
    "model_from_entry",
    "neoclone_register_providers",
    "with_daily_limit",
]

PROVIDER = "openrouter"

FREE_RATE_LIMIT = RateLimit(requests_per_minute=20, requests_per_day=50)
"""OpenRouter's documented limits for `:free` models (1,000 a day after buying credits)."""

FREE_TIER = FreeTier(
    Access.FREE_MODELS,
    terms=(
        "free models may log prompts and use them for training (set by each upstream"
        " provider; the account's privacy settings can exclude such providers)",
    ),
    limits="20 requests a minute and 50 a day over all free models; 1,000 a day after a"
    " $10 lifetime top-up",
    source="https://openrouter.ai/docs/api/reference/limits",
    checked="2026-07-18",
    trains_on_prompts=True,
)
"""The limits page, as listed by cheahjs/free-llm-api-resources (README, 2026-07-18); the
training term from OpenRouter's privacy settings, where free endpoints that may train on
inputs are allowed or refused per account."""

APP_HEADERS = {"X-Title": "neoclone"}

QUOTA_RULES = QuotaRules(scope=QuotaScope.ACCOUNT, day_start=DayStart.UTC)
"""The free limits count every `:free` request made with the key together (each model's
`FREE_RATE_LIMIT` is the account's), and the day starts at 00:00 UTC: a 429's
`X-RateLimit-Reset` names the next UTC midnight (openrouter.ai/docs/api-reference/limits;
a reset quoted in r/openrouter, "When do free daily limits reset?", 2025-03-26)."""
"""OpenRouter's optional app attribution. `HTTP-Referer` is left out: neoclone has no
site URL to give, and a made-up one would attribute traffic to someone else."""

"""Code models by id or name only. Descriptions are not read: general models' blurbs
praise their coding too ("the world's best coding model"), which says nothing of a
specialised code model."""


# -- the model list ----------------------------------------------------------------------


def model_from_entry(entry: object) -> ModelInfo | None:
    """One entry of the list as a ModelInfo; None for a model that is no chat model
    (its output is not text alone, or its name marks a classifier or embedder).

    Free when the id ends in `:free` or both prices are exactly zero; a price of "-1"
    (routers such as `openrouter/auto`) varies with the model routed to, so it is
    unknown (None), never free. Raises ValueError for an entry that cannot be read.
    """
    fields, model_id = entry_and_id(entry)
    architecture = as_mapping(fields.get("architecture"))
    outputs = _modalities(architecture, "output")
    name = stripped_str(fields.get("name"))
    reason = not_chat_by_output(outputs) or not_chat_by_name(model_id, name)
    if reason:
        log_left_out(PROVIDER, model_id, reason)
        return None
    pricing = read_pricing(fields.get("pricing"), "prompt", "completion", per_token=True)
    free = model_id.endswith(":free") or pricing.is_zero
    return ModelInfo(
        provider=PROVIDER,
        name=model_id,
        display_name=stripped_str(fields.get("name")) or model_id,
        context_length=_context_length(fields),
        capabilities=_capabilities(fields, model_id, architecture),
        pricing=pricing,
        free=free,
        rate_limit=FREE_RATE_LIMIT if free else RateLimit(),
        figures=ProviderFigures(_benchmarks(fields.get("benchmarks"))),
    )


def _benchmarks(value: object) -> dict[str, float]:
    """The numeric scores of `benchmarks` (`{"artificial_analysis": {"intelligence_index":
    71.4, ...}}`, documented by OpenRouter's SDKs as `AABenchmarkEntry`), named
    `<source>.<score>`; nulls and anything not a finite number are left out."""
    found = {}
    for source, scores in as_mapping(value).items():
        for name, score in as_mapping(scores).items():
            if _finite(score):
                found[f"{source}.{name}"] = float(score)
    return found


def _finite(value: object) -> TypeGuard[float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def daily_limit_from_key(document: object) -> int | None:
    """`data.free_model_daily_requests.limit` of a `GET /key` document (documented by
    OpenRouter's SDKs as `FreeModelDailyRequests`: `limit`, `remaining`, `used`), None
    when absent or not a positive count."""
    daily = as_mapping(
        as_mapping(as_mapping(document).get("data")).get("free_model_daily_requests")
    )
    return positive_int(daily.get("limit"))


def with_daily_limit(models: list[ModelInfo], per_day: int | None) -> list[ModelInfo]:
    """`models` with `per_day` as the daily limit of the free ones (unchanged if None)."""
    if per_day is None:
        return models
    limit = attrs.evolve(FREE_RATE_LIMIT, requests_per_day=per_day)
    return [attrs.evolve(m, rate_limit=limit) if m.free else m for m in models]


def figures_from_endpoints(document: object, figures: ProviderFigures) -> ProviderFigures:
    """`figures` with the uptime and median latency of the model's most available
    endpoint in a `GET /models/{id}/endpoints` document: `uptime_last_30m` (a percent)
    as a share, `latency_last_30m.p50` (milliseconds to the first token, documented
    as null without a key) in seconds. Unchanged when no endpoint says."""
    endpoints = as_mapping(as_mapping(document).get("data")).get("endpoints")
    best: tuple[float, float | None] | None = None
    for endpoint in endpoints if isinstance(endpoints, list) else []:
        fields = as_mapping(endpoint)
        uptime = fields.get("uptime_last_30m")
        if not _finite(uptime) or not 0 <= uptime <= 100:
            continue
        p50 = as_mapping(fields.get("latency_last_30m")).get("p50")
        latency = p50 / 1000 if _finite(p50) and p50 >= 0 else None
        if best is None or uptime / 100 > best[0]:
            best = (uptime / 100, latency)
    if best is None:
        return figures
    return attrs.evolve(figures, uptime=best[0], latency_s=best[1])


def _capabilities(
    entry: Mapping[str, Any], model_id: str, architecture: Mapping[str, Any]
) -> set[Capability]:
    parameters = entry.get("supported_parameters")
    supported = (
        {p for p in parameters if isinstance(p, str)} if isinstance(parameters, list) else set()
    )
    found = {Capability.TEXT, Capability.STREAMING}
    if "image" in _modalities(architecture, "input"):
        found.add(Capability.VISION)
    if "tools" in supported:
        found.add(Capability.TOOLS)
    if supported & {"reasoning", "include_reasoning"}:
        found.add(Capability.REASONING)
    if is_code_model(model_id, stripped_str(entry.get("name"))):
        found.add(Capability.CODE)
    return found


def _modalities(architecture: Mapping[str, Any], side: str) -> set[str]:
    """`input_modalities`/`output_modalities`, else the older `modality` string
    ("text+image->text"), else text (what every model of the older lists did)."""
    listed = architecture.get(f"{side}_modalities")
    if isinstance(listed, list):
        return {m for m in listed if isinstance(m, str)}
    modality = architecture.get("modality")
    if isinstance(modality, str) and "->" in modality:
        inputs, _, outputs = modality.partition("->")
        return set((inputs if side == "input" else outputs).split("+"))
    return {"text"}


def _context_length(entry: Mapping[str, Any]) -> int | None:
    """The entry's own context length, else its top provider's (routers say null)."""
    return positive_int(entry.get("context_length")) or positive_int(
        as_mapping(entry.get("top_provider")).get("context_length")
    )


# -- the provider ------------------------------------------------------------------------


class OpenRouterProvider(OpenAICompatibleProvider):
    """The `openrouter` provider: discovery from the public `/models` (the key is sent
    when set), chat through the shared client with the app attribution header
    (OpenRouter's keep-alive comments and in-stream errors are the client's business)."""

    name = PROVIDER
    default_base_url = "https://openrouter.ai/api/v1"
    api_key_env: str | None = "OPENROUTER_API_KEY"
    headers = APP_HEADERS
    discovery_needs_key = False
    free_tier = FREE_TIER
    model_from_entry = staticmethod(model_from_entry)
    quota_rules = QUOTA_RULES

    async def discover(self, ctx: ProviderContext) -> list[ModelInfo]:
        """The list's models, their free ones with the account's daily limit when a
        key is set; with the `endpoint_figures` option, each free model's endpoint
        uptime and latency too."""
        models = await super().discover(ctx)
        if ctx.api_key and any(m.free for m in models):
            models = with_daily_limit(models, await self._free_daily_limit(ctx))
        if ctx.options.get("endpoint_figures") is not True:
            return models
        return [await self._with_endpoint_figures(ctx, m) if m.free else m for m in models]

    async def _free_daily_limit(self, ctx: ProviderContext) -> int | None:
        """The account's free-model requests a day, from `GET /key`; None when the key
        endpoint cannot be read (the documented general limit then stands)."""
        try:
            document = await get_json(ctx, "/key", headers=self.headers)
        except ProviderError as exc:
            log.warning("neoclone.account_limit_unavailable", provider=PROVIDER, error=str(exc))
            return None
        return daily_limit_from_key(document)

    async def _with_endpoint_figures(self, ctx: ProviderContext, model: ModelInfo) -> ModelInfo:
        """The model with its endpoints' figures; as it was when they cannot be read
        (the figures are a bonus: their failure never fails the scan)."""
        try:
            document = await get_json(ctx, f"/models/{model.name}/endpoints", headers=self.headers)
        except ProviderError as exc:
            log.warning("neoclone.figures_unavailable", model=model.id, error=str(exc))
            return model
        return attrs.evolve(model, figures=figures_from_endpoints(document, model.figures))


@hookimpl
def neoclone_register_providers(register: Callable[[Provider], None]) -> None:
    """Register the OpenRouter provider."""
    register(OpenRouterProvider())
