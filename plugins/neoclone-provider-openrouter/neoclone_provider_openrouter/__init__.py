"""OpenRouter for neoclone: lists OpenRouter's models, tells the free ones, and runs them.

OpenRouter serves hundreds of models from many vendors behind one OpenAI-compatible
API. Some are free: their ids end in `:free`, or both their prompt and completion
prices are zero; they allow about 20 requests a minute and 50 a day. Discovery reads
the public `GET /models` list (no key needed); chat and streaming go through
`neoclone_core.openai.compat` and need `OPENROUTER_API_KEY`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from neoclone_core import Capability, ModelInfo, Provider, RateLimit, hookimpl
from neoclone_core.provider_kit import (
    OpenAICompatibleProvider,
    as_mapping,
    entry_and_id,
    is_code_model,
    log_left_out,
    positive_int,
    read_pricing,
    stripped_str,
)

__all__ = [
    "APP_HEADERS",
    "FREE_RATE_LIMIT",
    "OpenRouterProvider",
    "model_from_entry",
    "neoclone_register_providers",
]

PROVIDER = "openrouter"

FREE_RATE_LIMIT = RateLimit(requests_per_minute=20, requests_per_day=50)
"""OpenRouter's documented limits for `:free` models (1,000 a day after buying credits)."""

APP_HEADERS = {"X-Title": "neoclone"}
"""OpenRouter's optional app attribution. `HTTP-Referer` is left out: neoclone has no
site URL to give, and a made-up one would attribute traffic to someone else."""

"""Code models by id or name only. Descriptions are not read: general models' blurbs
praise their coding too ("the world's best coding model"), which says nothing of a
specialised code model."""


# -- the model list ----------------------------------------------------------------------


def model_from_entry(entry: object) -> ModelInfo | None:
    """One entry of the list as a ModelInfo; None for a model that outputs no text.

    Free when the id ends in `:free` or both prices are exactly zero; a price of "-1"
    (routers such as `openrouter/auto`) varies with the model routed to, so it is
    unknown (None), never free. Raises ValueError for an entry that cannot be read.
    """
    fields, model_id = entry_and_id(entry)
    architecture = as_mapping(fields.get("architecture"))
    if "text" not in _modalities(architecture, "output"):
        log_left_out(PROVIDER, model_id, "no text output")
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
    )


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
    model_from_entry = staticmethod(model_from_entry)


@hookimpl
def neoclone_register_providers(register: Callable[[Provider], None]) -> None:
    """Register the OpenRouter provider."""
    register(OpenRouterProvider())
