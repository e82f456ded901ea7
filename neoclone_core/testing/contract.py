"""The contract every OpenAI-compatible provider plugin passes, as a pytest class.

A provider built on `provider_kit.OpenAICompatibleProvider` shares its HTTP code with
every other one; what differs is a few class attributes (paths, key header, whether the
list needs a key). This class tests what they all must do, against a `RecordingServer`
on 127.0.0.1, so a plugin's own test file holds only what is its own (its list's
entries, its limits, its recorded error bodies)::

    import neoclone_provider_acme as acme
    from neoclone_core.testing.contract import OpenAICompatProviderContract

    class TestAcmeContract(OpenAICompatProviderContract):
        plugin = acme
        provider_class = acme.AcmeProvider
        model_name = "swift-8b"
        listing = Reply.json_file(MODELS_FILE)  # its recorded list, where there is one
        rate_limited = Reply.json_file(RECORDED_429, 429, {"retry-after": "20"})
        rate_limited_wait = 20.0
        rate_limited_says = "Rate limit reached"

What the class attributes below describe has a default in OpenAI's documented shape;
a plugin sets the ones where its provider departs from it, or where a recording shows
what the provider really sends. Chat and stream bodies are OpenAI's documented shape
(https://platform.openai.com/docs/api-reference/chat/object) unless `completion` and
`chunk` say otherwise; every provider this class serves documents that it speaks that
shape. It needs the fixtures of `neoclone_core.pytest_plugin` (`server`, `http`,
`captured`) and an anyio backend.
"""

from __future__ import annotations

import contextlib
from collections.abc import MutableMapping
from pathlib import Path
from typing import Any

import httpx
import pytest

from neoclone_core import Access, ScanStatus
from neoclone_core.errors import (
    AuthenticationError,
    MalformedResponseError,
    MissingAPIKeyError,
    ProviderError,
    ProviderTimeoutError,
    RateLimitedError,
    StreamInterruptedError,
)
from neoclone_core.testing.contract_setup import REQUEST, ContractSetup
from neoclone_core.testing.helpers import (
    collect_text,
    declared_free_tier,
    neoclone_with,
    registered_provider,
)
from neoclone_core.testing.replies import Reply
from neoclone_core.testing.server import RecordingServer
from neoclone_core.user_agent import user_agent

__all__ = ["ContractSetup", "OpenAICompatChatContract", "OpenAICompatProviderContract"]


class _DiscoveryContract(ContractSetup):
    """Registration and discovery."""

    # -- the plugin ---------------------------------------------------------------------

    def test_the_plugin_registers_one_provider_of_its_class(self) -> None:
        provider = registered_provider(self.plugin)

        assert isinstance(provider, self.provider_class)
        assert provider.default_base_url.startswith("https://")

    def test_the_free_tier_says_what_it_gives_with_a_dated_source(self) -> None:
        tier = declared_free_tier(self.provider(), self.provider().name)

        if self.free_tier_access is not None:
            assert tier.access is self.free_tier_access

    # -- discovery ------------------------------------------------------------------------

    async def test_the_listing_sends_the_key_in_a_header_only(
        self, server: RecordingServer, http: httpx.AsyncClient
    ) -> None:
        """...and the provider's own headers, under the client's User-Agent."""
        provider = self.provider()
        self.serve_listing(server, Reply(body=self.listing_document([])))

        with contextlib.suppress(ProviderError):  # the empty list may be refused: fine
            await provider.discover(self.context(server, http))

        [sent] = server.requests
        assert self.sent_key(sent.headers) == self.key
        assert self.key not in sent.path + sent.query
        if provider.key_header is not None:  # one credential, in its own header
            assert "authorization" not in sent.headers
        assert sent.headers["user-agent"] == user_agent()
        assert {name: sent.headers.get(name) for name in provider.headers} == provider.headers

    async def test_discovery_without_a_key_is_skipped_or_sends_no_key(
        self, server: RecordingServer, http: httpx.AsyncClient, tmp_path: Path
    ) -> None:
        """A list that needs a key is not asked for without one (the scan is skipped
        with a one-line reason); a public list is asked for without any key."""
        provider = self.provider()
        if not provider.discovery_needs_key:
            self.serve_listing(server, Reply(body=self.listing_document([])))
            with contextlib.suppress(ProviderError):
                await provider.discover(self.context(server, http, key=""))
            [sent] = server.requests
            assert self.sent_key(sent.headers) is None
            return

        with pytest.raises(MissingAPIKeyError) as caught:
            await provider.discover(self.context(server, http, key=""))

        assert caught.value.env_var == provider.api_key_env
        async with neoclone_with(self.plugin, tmp_path, base_url=self.base_url(server)) as nc:
            [scan] = await nc.discover()
        assert scan.status == ScanStatus.SKIPPED
        assert scan.message == f"{provider.name}: no API key (set {provider.api_key_env})"
        assert server.requests == []

    async def test_a_refused_listing_is_an_authentication_error(
        self, server: RecordingServer, http: httpx.AsyncClient
    ) -> None:
        """A key sent and refused says so. Sent no key, a public list that refuses the
        request means "set one" when the provider says so (`refusal_means_no_key`)."""
        provider = self.provider()
        self.serve_listing(server, self.refused)

        with pytest.raises(AuthenticationError, match=self.refused_says):
            await provider.discover(self.context(server, http))

        if provider.discovery_needs_key:
            return
        keyless = self.context(server, http, key="")
        expected = MissingAPIKeyError if provider.refusal_means_no_key else AuthenticationError
        with pytest.raises(expected):
            await provider.discover(keyless)

    async def test_a_listing_that_never_answers_times_out(
        self, server: RecordingServer, http: httpx.AsyncClient
    ) -> None:
        reply = Reply(delay_s=5, body=self.listing_document([]))
        self.serve_listing(server, reply)

        with pytest.raises(ProviderTimeoutError, match=r"no answer within 0\.2s"):
            await self.provider().discover(self.context(server, http, timeout=0.2))

    @pytest.mark.parametrize(
        ("reply", "why"),
        [
            (Reply(body=b"", headers={"Content-Type": "text/plain"}), "an empty body"),
            (Reply(body="<html><body>Just a moment...</body></html>"), "an HTML page"),
            (Reply(body=b'{"data": [', headers={"Content-Type": "application/json"}), "JSON"),
        ],
        ids=["empty", "html", "broken-json"],
    )
    async def test_a_listing_that_is_not_json_is_malformed(
        self, server: RecordingServer, http: httpx.AsyncClient, reply: Reply, why: str
    ) -> None:
        self.serve_listing(server, reply)

        with pytest.raises(MalformedResponseError, match=why) as caught:
            await self.provider().discover(self.context(server, http))

        assert str(caught.value).startswith(f"{self.provider().name}: malformed response")

    async def test_a_document_that_is_no_list_of_models_is_malformed(
        self, server: RecordingServer, http: httpx.AsyncClient
    ) -> None:
        documents, why = self.not_a_listing()
        for document in documents:
            self.serve_listing(server, Reply(body=document))

            with pytest.raises(MalformedResponseError, match=why):
                await self.provider().discover(self.context(server, http))

    async def test_unreadable_entries_are_skipped_with_a_warning(
        self,
        server: RecordingServer,
        http: httpx.AsyncClient,
        captured: list[MutableMapping[str, Any]],
    ) -> None:
        """An entry that is no object or has no name is named by its position in the
        warning; one whose name is blank is skipped too."""
        readable = self.listing_entry(self.model_name)
        nameless = {k: v for k, v in readable.items() if k != self.id_key}
        blank = {**readable, self.id_key: "  "}
        entries = [readable, nameless, "not an object", None, blank]
        self.serve_listing(server, Reply(body=self.listing_document(entries)))

        models = await self.provider().discover(self.context(server, http))

        assert [m.name for m in models] == [self.model_name]
        skipped = [e for e in captured if e["event"] == "neoclone.model_skipped"]
        assert [e["log_level"] for e in skipped] == ["warning"] * 4
        assert [e["entry"] for e in skipped[:3]] == ["#1", "#2", "#3"]
        assert {e["provider"] for e in skipped} == {self.provider().name}


class _ChatContract(ContractSetup):
    """Chat and streaming."""

    # -- chat and streaming -------------------------------------------------------------

    async def test_chat_sends_openais_shape_with_the_key_and_reads_the_answer(
        self, server: RecordingServer, http: httpx.AsyncClient
    ) -> None:
        provider = self.provider()
        self.serve_chat(server, Reply(body=dict(self.completion)))

        response = await provider.chat(self.context(server, http), self.model(), REQUEST)

        assert response.content == "Hi!"
        assert response.model_id == self.model().id
        assert response.usage.prompt_tokens == 9
        [sent] = server.requests
        body: dict[str, Any] = sent.json()
        assert body["model"] == self.model_name
        assert body["messages"] == [{"role": "user", "content": "Say hi"}]
        assert body["max_tokens"] == 32
        assert self.sent_key(sent.headers) == self.key
        assert {name: sent.headers.get(name) for name in provider.headers} == provider.headers

    async def test_a_stream_yields_its_chunks_and_asks_for_events(
        self, server: RecordingServer, http: httpx.AsyncClient
    ) -> None:
        chunks = Reply.sse([self.chunk("Hi"), self.chunk(" there", "stop")])
        self.serve_chat(server, chunks)

        stream = self.provider().stream(self.context(server, http), self.model(), REQUEST)
        received = [chunk async for chunk in stream]

        assert "".join(c.content for c in received) == "Hi there"
        assert received[-1].finish_reason == "stop"
        assert server.requests[-1].json()["stream"] is True

    @pytest.mark.parametrize("fault", ["cut_after_events", "stall_after_events"])
    async def test_a_stream_that_breaks_after_its_first_chunk_is_interrupted(
        self, server: RecordingServer, http: httpx.AsyncClient, fault: str
    ) -> None:
        """Cut (the connection closes) or stalled (nothing more comes)."""
        broken = Reply.sse([self.chunk("Hi"), self.chunk(" th")], **{fault: 1})
        self.serve_chat(server, broken)

        received: list[str] = []
        ctx = self.context(server, http, timeout=0.3)
        with pytest.raises(StreamInterruptedError, match="connection lost"):
            await collect_text(self.provider().stream(ctx, self.model(), REQUEST), received)

        assert received == ["Hi"]

    async def test_chat_and_stream_need_a_key_and_send_nothing_without(
        self, server: RecordingServer, http: httpx.AsyncClient
    ) -> None:
        keyless = self.context(server, http, key="")
        provider = self.provider()

        with pytest.raises(MissingAPIKeyError, match=str(provider.api_key_env)):
            await provider.chat(keyless, self.model(), REQUEST)
        with pytest.raises(MissingAPIKeyError):
            [c async for c in provider.stream(keyless, self.model(), REQUEST)]

        assert server.requests == []

    async def test_a_rate_limit_says_when_to_come_back_before_chat_or_stream(
        self, server: RecordingServer, http: httpx.AsyncClient
    ) -> None:
        chat_error, stream_error = await self.failures(server, http, self.rate_limited)

        for error in (chat_error, stream_error):
            assert isinstance(error, RateLimitedError)
            assert error.retry_after == _approx(self.rate_limited_wait)
            assert (error.provider, error.model) == (self.provider().name, self.model_name)
        assert self.rate_limited_says in str(chat_error)
        for reply, wait in self.rate_limited_also:
            chat_error, _ = await self.failures(server, http, reply)
            assert isinstance(chat_error, RateLimitedError)
            assert (chat_error.retry_after, self.rate_limited_says in str(chat_error)) == (
                _approx(wait),
                True,
            )

    async def test_a_refused_key_is_an_authentication_error(
        self, server: RecordingServer, http: httpx.AsyncClient
    ) -> None:
        chat_error, stream_error = await self.failures(server, http, self.refused)

        assert isinstance(chat_error, AuthenticationError)
        assert isinstance(stream_error, AuthenticationError)
        assert self.refused_says in str(chat_error)
        assert chat_error.status == self.refused.status

    async def failures(
        self, server: RecordingServer, http: httpx.AsyncClient, reply: Reply
    ) -> tuple[ProviderError, ProviderError]:
        """What a chat and a stream raise when the provider answers them with `reply`;
        neither may quote the key."""
        self.serve_chat(server, reply)
        ctx = self.context(server, http)

        with pytest.raises(ProviderError) as chat:
            await self.provider().chat(ctx, self.model(), REQUEST)
        with pytest.raises(ProviderError) as stream:
            [c async for c in self.provider().stream(ctx, self.model(), REQUEST)]

        assert self.key not in str(chat.value) + str(stream.value)
        return chat.value, stream.value


class OpenAICompatChatContract(_ChatContract):
    """The chat half of the contract alone, for a provider whose models come from its
    documentation rather than from a list it serves (no discovery request to test)."""


class OpenAICompatProviderContract(_DiscoveryContract, _ChatContract):
    """What every OpenAI-compatible provider does; subclass it as `Test<Name>Contract`
    and set `plugin`, `provider_class` and `model_name` (and the attributes of
    `ContractSetup` where the provider departs from OpenAI's shape)."""

    # -- end to end -----------------------------------------------------------------------

    async def test_neoclone_lists_what_the_provider_discovers(
        self, server: RecordingServer, http: httpx.AsyncClient, tmp_path: Path
    ) -> None:
        """Through the whole core: a scan of the plugin, its models and the free ones."""
        provider = self.provider()
        listing = self.listing
        if listing is None:
            listing = Reply(body=self.listing_document([self.listing_entry(self.model_name)]))
        self.serve_listing(server, listing)
        env = {str(provider.api_key_env): self.key}

        async with neoclone_with(
            self.plugin, tmp_path, base_url=self.base_url(server), env=env
        ) as nc:
            [scan] = await nc.discover()
            listed = nc.models(provider=provider.name)
            free = nc.models(provider=provider.name, free_only=True)
        assert server.hits("GET", self.path(provider.models_path)) >= 1
        found = await provider.discover(self.context(server, http))

        assert (scan.provider, scan.status, scan.models) == (
            provider.name,
            ScanStatus.SCANNED,
            len(found),
        )
        assert found
        assert sorted(m.id for m in listed) == sorted(m.id for m in found)
        assert sorted(m.id for m in free) == sorted(m.id for m in found if m.free)
        if declared_free_tier(provider, provider.name).access in _NOTHING_FREE:
            assert not free  # a trial credit or no free tier makes no model free


_NOTHING_FREE = (Access.PAID, Access.TRIAL_CREDIT)


def _approx(wait: float | None) -> object:
    """`wait` as a retry_after compares with it: None exactly, a number approximately."""
    return None if wait is None else pytest.approx(wait)
