"""{{ cookiecutter.provider_title }} for neoclone: the models of its OpenAI-compatible API.

The HTTP side (the key in the `Authorization` header, errors mapped onto neoclone's
classes so that fallback can decide on them, streams, timeouts) is inherited from
`neoclone_core.provider_kit.OpenAICompatibleProvider`. What is left here is what only
this provider knows, in two functions:

- `model_from_entry`: what one entry of the provider's `GET /models` list says about a
  model (context window, capabilities, prices), or None to leave the entry out;
- `is_free`: the provider's rule for which models cost nothing.

Both are written for the small list in `tests/fixtures/models.json`. Save a real answer
of the provider's list there instead (it holds no key) and adapt the two to it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from neoclone_core import Capability, ModelInfo, Pricing, Provider, hookimpl
from neoclone_core.provider import Access, FreeTier
from neoclone_core.provider_kit import (
    OpenAICompatibleProvider,
    entry_and_id,
    log_left_out,
    positive_int,
    read_pricing,
    stripped_str,
)

__all__ = [
    "FREE_TIER",
    "PROVIDER",
    "{{ cookiecutter.class_name }}",
    "is_free",
    "model_from_entry",
    "neoclone_register_providers",
]

PROVIDER = "{{ cookiecutter.provider_name }}"

FREE_TIER = FreeTier(
    Access.FREE_MODELS,
    # What the free tier costs the user besides money, as its page says.
    terms=("phone number verification",),
    limits="20 requests a minute",
    source="https://{{ cookiecutter.provider_name }}.example/docs/free-tier",
    checked="2026-12-07",
)
"""What the free tier gives and costs, as the provider's page says on the day it was read;
`neoclone plugins` and `neoclone models --explain` show it (`Access.TRIAL_CREDIT` or
`Access.PAID` for a provider whose models are never free)."""
"""The provider's id: the first part of every model id (`{{ cookiecutter.provider_name }}/<model>`)."""

_NOT_CHAT = re.compile(r"embed|rerank|moderation|whisper|tts|guard", re.IGNORECASE)
"""Models that share the list with the chat models but cannot answer a chat (embeddings,
rerankers, classifiers, speech): left out, so that no plan ever picks one."""


def model_from_entry(entry: object) -> ModelInfo | None:
    """One entry of the model list as a ModelInfo, or None to leave it out on purpose.

    `entry_and_id` refuses an entry that is not an object or has no id; the kit then skips
    it with a `neoclone.model_skipped` warning, and the rest of the list still counts.
    Raise ValueError for any other entry you cannot read: the same happens.
    """
    fields, model_id = entry_and_id(entry)
    if _NOT_CHAT.search(model_id):
        log_left_out(PROVIDER, model_id, "not a chat model")
        return None
    pricing = read_pricing(fields.get("pricing"), "prompt", "completion", per_token=True)
    return ModelInfo(
        provider=PROVIDER,
        name=model_id,
        display_name=stripped_str(fields.get("name")) or model_id,
        context_length=positive_int(fields.get("context_length")),
        capabilities=_capabilities(fields),
        pricing=pricing,
        free=is_free(fields, pricing),
    )


def is_free(fields: Mapping[str, Any], pricing: Pricing) -> bool:
    """Whether the model costs nothing to call.

    Here: both prices are listed, and zero. Providers say it in other ways (a `:free`
    suffix on the id, a tier field, only a documented list): follow what yours
    documents. A model whose price is unknown is not free: neoclone recommends free
    models, and a wrong "free" costs the user money.
    """
    return pricing.is_zero


def _capabilities(fields: Mapping[str, Any]) -> set[Capability]:
    """Every chat model has text and streaming; the rest only where the list says so."""
    found = {Capability.TEXT, Capability.STREAMING}
    inputs = fields.get("input_modalities")
    if isinstance(inputs, list) and "image" in inputs:
        found.add(Capability.VISION)
    if fields.get("supports_tools") is True:
        found.add(Capability.TOOLS)
    return found


class {{ cookiecutter.class_name }}(OpenAICompatibleProvider):
    """The `{{ cookiecutter.provider_name }}` provider.

    Discovery GETs `{base_url}/models`; chat and streaming POST to
    `{base_url}/chat/completions`. Without the key both are skipped before any request,
    with the one-line reason "{{ cookiecutter.provider_name }}: no API key (set {{ cookiecutter.api_key_env }})".
    """

    name = PROVIDER
    default_base_url = "{{ cookiecutter.base_url }}"
    api_key_env: str | None = "{{ cookiecutter.api_key_env }}"
    free_tier = FREE_TIER
    # A public model list (no key needed to read it): set discovery_needs_key = False.
    # A key sent raw in another header than `Authorization: Bearer`: key_header = "x-api-key".
    # A model list that is a bare JSON array, not `{"data": [...]}`: listing_key = None.
    model_from_entry = staticmethod(model_from_entry)  # the rules need no provider object


@hookimpl
def neoclone_register_providers(register: Callable[[Provider], None]) -> None:
    """Register the provider; neoclone calls this through the entry point in pyproject.toml."""
    register({{ cookiecutter.class_name }}())
