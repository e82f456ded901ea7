"""What the provider contract's tests are built from: the class attributes a plugin sets
where its provider departs from OpenAI's documented shape, and the objects the tests make
from them (see `contract` for the tests themselves)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import ModuleType
from typing import Any, ClassVar
from urllib.parse import urlsplit

import httpx
import pytest

from neoclone_core import Access, ModelInfo, ProviderContext
from neoclone_core.models import ChatRequest
from neoclone_core.provider_kit import OpenAICompatibleProvider
from neoclone_core.testing.helpers import (
    ProviderUnderTest,
    chat_completion,
    completion_chunk,
)
from neoclone_core.testing.replies import Reply
from neoclone_core.testing.server import RecordingServer

REQUEST = ChatRequest.from_prompt("Say hi", max_tokens=32)


class ContractSetup:
    """The attributes and builders of `OpenAICompatProviderContract`."""

    plugin: ClassVar[ModuleType]
    """The plugin module, whose `neoclone_register_providers` registers the provider."""
    provider_class: ClassVar[type[OpenAICompatibleProvider]]
    model_name: ClassVar[str] = "some-model"
    """A model name the provider serves (sent as the request's `model`)."""
    key: ClassVar[str] = "contract-test-key-0123456789abcdef"
    now: ClassVar[float | None] = None
    """Where the calls' clock stands (None: the real time); a recorded reset time
    is read against it."""

    listing: ClassVar[Reply | None] = None
    """The provider's list of models for the end-to-end test, a recording where one
    exists; None: a list of one entry, `listing_entry(model_name)`."""
    listing_key: ClassVar[str | None] = "data"
    """The field of the list document that holds the entries (OpenAI's `data`); None
    when the document is a bare JSON array."""
    id_key: ClassVar[str] = "id"
    """The field of an entry that names its model."""

    completion: ClassVar[Mapping[str, Any]] = chat_completion("Hi!")
    """What the provider's chat answers "Say hi" with: "Hi!", 9 prompt tokens."""
    rate_limited: ClassVar[Reply] = Reply(
        429, {"Retry-After": "30"}, {"error": {"message": "Rate limit exceeded"}}
    )
    """A 429 as the provider sends it (a recording where one exists), which says
    `rate_limited_says` and to come back in `rate_limited_wait` seconds."""
    rate_limited_wait: ClassVar[float | None] = 30.0
    rate_limited_says: ClassVar[str] = "Rate limit exceeded"
    rate_limited_also: ClassVar[Sequence[tuple[Reply, float | None]]] = ()
    """Other 429s that say `rate_limited_says` (the recording with other headers, say),
    each with the wait it means (None: no telling)."""
    refused: ClassVar[Reply] = Reply(401, body={"error": {"message": "Invalid API key"}})
    """The provider's answer to a key it does not accept, which says `refused_says`."""
    refused_says: ClassVar[str] = "Invalid API key"
    free_tier_access: ClassVar[Access | None] = None
    """What the provider's free tier gives (`FreeTier.access`), where the plugin's tests
    check it; None: only that the tier is declared with its dated source."""

    pytestmark: ClassVar[list[pytest.MarkDecorator]] = [pytest.mark.anyio]

    # -- what the tests build ----------------------------------------------------------

    def provider(self) -> OpenAICompatibleProvider:
        """A fresh provider object, as the plugin registers it."""
        return self.provider_class()

    def under_test(self) -> ProviderUnderTest:
        """The provider on the server, at the path of its default base URL."""
        base = urlsplit(self.provider().default_base_url).path.rstrip("/")
        models_path = self.provider().models_path
        return ProviderUnderTest(
            self.provider_class, base, listing_path=models_path, key=self.key, now=self.now
        )

    def base_url(self, server: RecordingServer) -> str:
        """The server's URL with the path of the provider's default base URL."""
        return server.url + self.under_test().path

    def path(self, of: str) -> str:
        """The path of the provider's `models_path` or `chat_path` on the server."""
        return self.under_test().path + of

    def context(
        self,
        server: RecordingServer,
        http: httpx.AsyncClient,
        *,
        key: str | None = None,
        timeout: float = 5.0,
    ) -> ProviderContext:
        """The call context the core would build, with `key` (default: `self.key`)."""
        key = self.key if key is None else key
        return self.under_test().context(server, http, key=key, timeout=timeout)

    def model(self) -> ModelInfo:
        """The model the chat tests call."""
        return ModelInfo(self.provider().name, self.model_name, free=True)

    def sent_key(self, headers: httpx.Headers) -> str | None:
        """The key a request carried in the header the provider sends it in."""
        header = self.provider().key_header
        if header is not None:
            value = headers.get(header)
            return None if value is None else str(value)
        authorization = headers.get("authorization", "")
        return authorization.removeprefix("Bearer ") if authorization else None

    def listing_entry(self, model_name: str) -> dict[str, Any]:
        """An entry of the list that the provider reads as a model named `model_name`."""
        return {self.id_key: model_name, "object": "model"}

    def listing_document(self, entries: list[Any]) -> object:
        """A list document holding `entries`."""
        return entries if self.listing_key is None else {self.listing_key: entries}

    def not_a_listing(self) -> tuple[list[object], str]:
        """Documents that are no list of models, and what the error says of them."""
        if self.listing_key is None:
            return [{"models": []}, {"data": {"id": "x"}}, 42], "not a JSON array"
        key = self.listing_key
        documents: list[object] = [[], {"models": []}, {key: None}, {key: {"id": "x"}}, 42]
        return documents, f"no '{key}' list"

    def chunk(self, content: str, finish_reason: str | None = None) -> dict[str, Any]:
        """One streamed chunk as the provider sends it."""
        return completion_chunk(content, finish_reason)

    def serve_listing(self, server: RecordingServer, reply: Reply) -> None:
        """Answer the provider's list of models with `reply`."""
        self.under_test().serve_listing(server, reply)

    def serve_chat(self, server: RecordingServer, reply: Reply) -> None:
        """Answer the provider's chat completions with `reply`."""
        server.route("POST", self.path(self.provider().chat_path), reply)
