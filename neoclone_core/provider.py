"""What a provider plugin implements, and what the core hands it for each call.

Providers are objects registered through the `neoclone_register_providers` hook. They
carry the async I/O themselves; the core awaits them, bounds each call in time and
isolates their failures, so a provider author writes plain async methods.
"""

from __future__ import annotations

import enum
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import attrs

from neoclone_core.errors import MissingAPIKeyError
from neoclone_core.models import ChatChunk, ChatRequest, ChatResponse, ModelInfo
from neoclone_core.redaction import Secret

if TYPE_CHECKING:
    import httpx  # imported by the engine when it builds its client; costly at import


class Access(str, enum.Enum):
    """What a provider gives without payment.

    Only FREE_MODELS can make a model free: a dollar credit (monthly or once) is one
    budget spent on whichever model is called, so it makes no model free.
    """

    FREE_MODELS = "free models"  # some or all models free within documented limits
    MONTHLY_CREDIT = "monthly credit"  # a small credit every month, spent on any model
    TRIAL_CREDIT = "trial credit"  # a credit once, at sign-up; then paid
    PAID = "paid only"

    def __str__(self) -> str:
        return self.value


def _texts(values: Sequence[str]) -> tuple[str, ...]:
    return tuple(values)


@attrs.frozen
class FreeTier:
    """What a provider's free tier gives and what it costs the user, in words, with the
    page that says so and the day it was read.

    `terms` are the costs that are not money ("phone number verification", "prompts
    used for training", "personal use only"); `trains_on_prompts` is the one a config
    switch (`exclude_training_on_prompts`) acts on; `limits` are the documented limits
    in words ("20 requests a minute, 50 a day").
    """

    access: Access
    terms: tuple[str, ...] = attrs.field(default=(), converter=_texts)
    limits: str = ""
    source: str = ""
    checked: str = ""  # YYYY-MM-DD
    trains_on_prompts: bool = False

    @property
    def can_make_free(self) -> bool:
        """Whether this tier can make any model free: not a trial credit, not paid."""
        return self.access not in (Access.TRIAL_CREDIT, Access.PAID)

    @property
    def summary(self) -> str:
        """The tier in one line: access, limits, terms."""
        parts = [str(self.access), self.limits, *self.terms]
        return "; ".join(part for part in parts if part)


def free_tier_of(provider: object) -> FreeTier | None:
    """The provider's `free_tier` attribute when it declares one (see `Provider`)."""
    tier = getattr(provider, "free_tier", None)
    return tier if isinstance(tier, FreeTier) else None


@attrs.frozen
class ProviderContext:
    """Everything a provider needs for one call, resolved from config by the core.

    `base_url` is the configured override or the provider's default; `api_key` is read
    from the environment variable the config names (or the provider's default one) and
    is None when unset. `http` is shared by all providers and closed by the core.
    `options` is the provider's own table from the config (`[providers.<name>.options]`).
    """

    provider: str
    base_url: str
    api_key: Secret | None
    api_key_env: str | None
    timeout: float
    http: httpx.AsyncClient
    clock: Callable[[], float]
    options: Mapping[str, object] = attrs.field(factory=dict)

    def require_api_key(self) -> Secret:
        """The key, or MissingAPIKeyError saying which variable to set."""
        if self.api_key:
            return self.api_key
        where = f"set {self.api_key_env}" if self.api_key_env else "configure an API key"
        msg = f"{self.provider}: no API key ({where})"
        raise MissingAPIKeyError(msg, provider=self.provider, env_var=self.api_key_env or "")


@runtime_checkable
class Provider(Protocol):
    """A source of models that can also run them.

    `name` is the provider's short id (`openrouter`), the first part of every model id it
    returns. `api_key_env` is the environment variable read by default for its key (None
    if it needs none). `discover` lists models from the provider's model-listing API;
    `chat` runs one completion; `stream` yields its chunks as they arrive. All raise the
    classes of `neoclone_core.errors`, so fallback strategies can decide on them.

    Optional attributes the core reads when present: `last_resort = True` marks a
    provider whose models run on this machine, so that one of them ends every plan
    (the local provider sets it). `free_tier` (a `FreeTier`) says what its free tier
    gives and costs the user; `neoclone plugins` and `neoclone models --explain` show
    it, and a provider whose free tier trains on prompts is left out when the config
    sets `exclude_training_on_prompts`.
    """

    name: str
    default_base_url: str
    api_key_env: str | None

    async def discover(self, ctx: ProviderContext) -> Sequence[ModelInfo]: ...

    async def chat(
        self, ctx: ProviderContext, model: ModelInfo, request: ChatRequest
    ) -> ChatResponse: ...

    def stream(
        self, ctx: ProviderContext, model: ModelInfo, request: ChatRequest
    ) -> AsyncIterator[ChatChunk]: ...
