"""OpenCode Zen for neoclone: lists Zen's models, tells the free ones, and runs them.

OpenCode Zen (https://opencode.ai/docs/zen) is a gateway to a curated set of models the
OpenCode team tested for coding agents. A few are free: their ids end in `-free`, and
a handful of promotional models (such as `big-pickle`) are free for a limited time
without the suffix. Its `GET /models` list is OpenAI-shaped and says nothing but ids,
so prices, context lengths and capabilities are unknown; the free models speak
OpenAI's `/chat/completions`, which `neoclone_core.openai.compat` runs.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from neoclone_core import Capability, ModelInfo, Provider, ProviderContext, hookimpl
from neoclone_core.provider import Access, FreeTier
from neoclone_core.provider_kit import OpenAICompatibleProvider, entry_and_id, parse_model_list

__all__ = [
    "PROMOTIONAL_FREE_MODELS",
    "OpenCodeZenProvider",
    "is_free",
    "neoclone_register_providers",
    "parse_models",
]

PROVIDER = "opencode"

PROMOTIONAL_FREE_MODELS: frozenset[str] = frozenset({"big-pickle"})
"""Zen models that are free without a `-free` suffix, as Zen's pricing table listed them
when this was written (https://opencode.ai/docs/zen, "Pricing": Big Pickle, free for
a limited time). Promotions come and go: pass `promotional_free=` to
`OpenCodeZenProvider` to change the set without waiting for a release."""

FREE_SUFFIX = "-free"

_CAPABILITIES = frozenset({Capability.TEXT, Capability.STREAMING, Capability.CODE})
"""What every Zen model can be relied on for: the list says nothing per model, but Zen
only carries chat models chosen for coding agents, served with streaming."""


FREE_TIER = FreeTier(
    Access.FREE_MODELS,
    terms=("free models may use prompts and answers to improve the model",),
    limits="a few promotional models (`-free` ids, Big Pickle), for a limited time",
    source="https://opencode.ai/docs/zen/",
    checked="2026-07-18",
    trains_on_prompts=True,
)
"""As listed by cheahjs/free-llm-api-resources README (2026-07-18)."""


class OpenCodeZenProvider(OpenAICompatibleProvider):
    """The `opencode` provider: discovery from the public `/models` (the key is sent when
    set, and Zen then lists only the models the account may use), chat through the
    shared client (Zen wants a key even for its free models). opencode.ai sits behind a
    web firewall that has refused generic library user agents; the shared client's
    `neoclone/<version>` is an honest product name, as other clients send."""

    name = PROVIDER
    default_base_url = "https://opencode.ai/zen/v1"
    api_key_env: str | None = "OPENCODE_API_KEY"
    free_tier = FREE_TIER
    discovery_needs_key = False

    def __init__(self, promotional_free: Iterable[str] = PROMOTIONAL_FREE_MODELS) -> None:
        self.promotional_free = frozenset(promotional_free)

    def parse_models(self, document: object, ctx: ProviderContext) -> list[ModelInfo]:
        """Every model Zen lists."""
        return parse_models(document, self.promotional_free)


@hookimpl
def neoclone_register_providers(register: Callable[[Provider], None]) -> None:
    """Register the OpenCode Zen provider."""
    register(OpenCodeZenProvider())


# -- the model list ----------------------------------------------------------------------


def is_free(model_id: str, promotional_free: Iterable[str] = PROMOTIONAL_FREE_MODELS) -> bool:
    """Zen's rule: an id ending in `-free`, or one of the promotional free models."""
    return model_id.endswith(FREE_SUFFIX) or model_id in frozenset(promotional_free)


def parse_models(
    document: object, promotional_free: Iterable[str] = PROMOTIONAL_FREE_MODELS
) -> list[ModelInfo]:
    """The models of a `GET /models` document, in its order.

    Entries without a usable id are skipped with a `neoclone.model_skipped` warning; a
    document without a `data` list raises MalformedResponseError. Pricing stays unknown
    (None): Zen's list carries none, and a paid model is never guessed free.
    """
    promotional = frozenset(promotional_free)

    def model(entry: object) -> ModelInfo:
        model_id = entry_and_id(entry)[1].strip()
        return ModelInfo(
            provider=PROVIDER,
            name=model_id,
            display_name=model_id,
            capabilities=_CAPABILITIES,
            free=is_free(model_id, promotional),
        )

    return parse_model_list(document, PROVIDER, model, name_key=None)
