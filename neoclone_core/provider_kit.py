"""What provider plugins share beside the calls of `openai.compat`: a base class for
providers that speak OpenAI's dialect, and (re-exported from `listing` and
`model_names`) the readers of a model list and of its values, and what a model's names
say of it. Plugins import all of them from here.

A plugin for an OpenAI-compatible provider is its rules and little else::

    class AcmeProvider(OpenAICompatibleProvider):
        name = "acme"
        default_base_url = "https://api.acme.ai/v1"
        api_key_env: str | None = "ACME_API_KEY"

        def model_from_entry(self, entry: object) -> ModelInfo | None:
            fields, model_id = entry_and_id(entry)
            return ModelInfo(
                self.name,
                model_id,
                context_length=positive_int(fields.get("context_length")),
                free=model_id.endswith(":free"),
            )
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from typing import Any, ClassVar

from neoclone_core.errors import AuthenticationError
from neoclone_core.listing import (
    UnreadableEntryError,
    as_mapping,
    chat_model_from_entry,
    entry_and_id,
    log_left_out,
    malformed,
    model_list,
    parse_model_list,
    positive_int,
    price_per_million,
    read_entries,
    read_pricing,
    stripped_str,
)
from neoclone_core.model_names import (
    chat_capabilities,
    is_code_model,
    is_reasoning_model,
    not_chat_by_name,
    not_chat_by_output,
)
from neoclone_core.models import ChatChunk, ChatRequest, ChatResponse, ModelInfo, QuotaReading
from neoclone_core.openai.compat import (
    CHAT_PATH,
    chat_completion,
    get_json,
    stream_chat_completion,
)
from neoclone_core.openai.rate_limit_headers import read_quota
from neoclone_core.openai.stream import NO_QUIRKS, StreamQuirks
from neoclone_core.provider import FreeTier, ProviderContext

__all__ = [
    "OpenAICompatibleProvider",
    "UnreadableEntryError",
    "as_mapping",
    "chat_capabilities",
    "chat_model_from_entry",
    "entry_and_id",
    "is_code_model",
    "is_reasoning_model",
    "log_left_out",
    "malformed",
    "model_list",
    "not_chat_by_name",
    "not_chat_by_output",
    "parse_model_list",
    "positive_int",
    "price_per_million",
    "read_entries",
    "read_pricing",
    "stripped_str",
]

# -- the base class ----------------------------------------------------------------------


class OpenAICompatibleProvider:
    """A provider whose chat is OpenAI's `/chat/completions`, run through `openai.compat`.

    Subclasses set `name`, `default_base_url` and `api_key_env` (annotated `str | None`,
    as the `Provider` protocol declares it, or mypy infers `str` and refuses the
    provider), and change the other class attributes where the provider departs from
    OpenAI. The list's entries (where `listing_key` finds them) are read by
    `model_from_entry`, by default `chat_model_from_entry` (none of them free); a
    provider whose list says more, or whose free tier makes models free, overrides it,
    or `parse_models` for any other document. A plugin whose entry reader is a
    module-level function sets `model_from_entry = staticmethod(model_from_entry)`.

    Discovery GETs `models_path`; chat and streaming POST to `chat_path`, need the key,
    and raise MissingAPIKeyError before any request without one. Every request carries
    `headers` and the key when set: as `Authorization: Bearer`, or raw in `key_header`.
    """

    name: str
    default_base_url: str
    api_key_env: str | None
    models_path: str = "/models"
    chat_path: str = CHAT_PATH
    headers: ClassVar[Mapping[str, str]] = {}
    key_header: str | None = None
    stream_quirks: StreamQuirks = NO_QUIRKS
    """How the provider's stream departs from OpenAI's (see `StreamQuirks`)."""
    discovery_needs_key: bool = True
    """The list is refused without a key: discovery then raises MissingAPIKeyError
    before any request. When False the list is public and the key is sent when set."""
    refusal_means_no_key: bool = False
    """For a public list: a 401/403 to a request sent without a key means "set one"
    (MissingAPIKeyError, so the scan is skipped), not a refused key."""
    listing_key: str | None = "data"
    """Where the list document keeps its entries: OpenAI's `{"data": [...]}`; None for a
    list that is a bare JSON array."""
    listing_params: ClassVar[Mapping[str, str | int]] = {}
    """Query parameters of the list request (a page size, a filter)."""
    listing_what: str = "model list"
    """What the list document is called when it is not what `listing_key` says: "the
    catalog is not a JSON array"."""
    free_tier: FreeTier | None = None
    """What the provider gives for free and what that costs the user (see `FreeTier`)."""

    async def discover(self, ctx: ProviderContext) -> list[ModelInfo]:
        """The models of the provider's list, as `parse_models` reads them."""
        if self.discovery_needs_key:
            ctx.require_api_key()
        try:
            document = await get_json(
                ctx,
                self.models_path,
                headers=self.headers,
                key_header=self.key_header,
                params=self.listing_params or None,
            )
        except AuthenticationError:
            if self.refusal_means_no_key and ctx.api_key is None:
                ctx.require_api_key()
            raise
        return self.parse_models(document, ctx)

    def parse_models(self, document: object, ctx: ProviderContext) -> list[ModelInfo]:
        """The models of a list document; by default `parse_model_list` with
        `model_from_entry` over the entries `listing_key` finds."""
        return parse_model_list(
            document, self.name, self.model_from_entry, key=self.listing_key, what=self.listing_what
        )

    def model_from_entry(self, entry: object) -> ModelInfo | None:
        """One entry of the list as a model, None to leave it out; raise ValueError
        (UnreadableEntryError) for an entry that cannot be read. By default an entry of
        an OpenAI-style list as a chat model, not free (`chat_model_from_entry`): the
        list says nothing of a free tier."""
        return chat_model_from_entry(self.name, entry)

    async def chat(
        self, ctx: ProviderContext, model: ModelInfo, request: ChatRequest
    ) -> ChatResponse:
        """One completion; MissingAPIKeyError before any request when no key is set."""
        ctx.require_api_key()
        return await chat_completion(ctx, model, request, **self._chat_options())

    async def stream(
        self, ctx: ProviderContext, model: ModelInfo, request: ChatRequest
    ) -> AsyncIterator[ChatChunk]:
        """The completion's chunks as they arrive; see `stream_chat_completion` for which
        error a broken stream raises."""
        ctx.require_api_key()
        options = self._chat_options()
        quirks = self.stream_quirks
        async for chunk in stream_chat_completion(ctx, model, request, quirks=quirks, **options):
            yield chunk

    def quota_reading(
        self, headers: Mapping[str, str], body: object, now: float
    ) -> QuotaReading | None:
        """What a response's headers (or, for an error, its decoded `body`) say is left
        of the key's quota: `x-ratelimit-*` as Groq, Cerebras and OpenRouter send them
        (`read_quota`). Override for a provider that says it another way; return None
        for one whose headers must not be trusted."""
        return read_quota(headers, body, now)

    def _chat_options(self) -> dict[str, Any]:
        """Where chat requests go and what they carry besides the request."""
        return {
            "path": self.chat_path,
            "headers": self.headers,
            "key_header": self.key_header,
            "quota_reading": self.quota_reading,
        }


_RENAMED = {
    "identify": "entry_and_id",
    "left_out": "log_left_out",
    "mapping": "as_mapping",
    "text": "stripped_str",
}


def __getattr__(name: str) -> Any:
    """The names these functions had before 0.2, kept one release with a warning."""
    if name in _RENAMED:
        import warnings

        new = _RENAMED[name]
        msg = f"neoclone_core.provider_kit.{name} is deprecated: use {new}"
        warnings.warn(msg, DeprecationWarning, stacklevel=2)
        return globals()[new]
    msg = f"module {__name__!r} has no attribute {name!r}"
    raise AttributeError(msg)
