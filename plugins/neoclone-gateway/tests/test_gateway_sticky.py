"""Sticky conversations through a real `neoclone serve`: the turns of a conversation stay
on the model that served it, move when it fails, and the answer names the move; driven
by the official `openai` and `anthropic` clients over all three APIs.

The route header says which models each turn tried, and the upstream's hit counts say
which were called: a model that is not called at all was not first in the plan.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import anthropic
import openai
import pytest
from neoclone_gateway._body import ChatBody
from neoclone_gateway._sticky import Conversations, conversation_of
from neoclone_gateway.testing import (
    GatewayProcess,
    Upstream,
    failure,
    gateway_process,
    model_id,
    tokens,
)

from neoclone_core import ChatRequest, ModelInfo, Plan
from neoclone_core.errors import UnknownModelError

MOVED = "x-neoclone-moved-from"
ROUTE = "x-neoclone-route"


@pytest.fixture(scope="module")
def gateway(
    tmp_path_factory: pytest.TempPathFactory, upstream: Upstream
) -> Iterator[GatewayProcess]:
    sessions = [
        "--session", f"trio={model_id('alpha')},{model_id('beta')},{model_id('gamma')}",
        "--session", f"quad={model_id('delta')},{model_id('epsilon')},{model_id('zeta')}",
    ]  # fmt: skip
    with gateway_process(tmp_path_factory.mktemp("gateway"), upstream, *sessions) as running:
        yield running


@pytest.fixture
def claude(gateway: GatewayProcess) -> Iterator[anthropic.Anthropic]:
    with anthropic.Anthropic(base_url=gateway.url, api_key="unused", max_retries=0) as made:
        yield made


def turn(history: list[dict[str, Any]], answer: str, question: str) -> list[dict[str, Any]]:
    """The messages of the next turn: the history, the answer, the next question."""
    return [
        *history,
        {"role": "assistant", "content": answer},
        {"role": "user", "content": question},
    ]


@pytest.mark.slow
def test_the_second_turn_stays_on_the_model_that_served_the_first(
    client: openai.OpenAI, upstream: Upstream
) -> None:
    upstream.script("alpha", failure(503, "busy for a moment"))
    first = [{"role": "user", "content": "Tell me about tides."}]
    raw = client.chat.completions.with_raw_response.create(model="trio", messages=first)  # type: ignore[arg-type]
    answer = raw.parse()
    assert answer.model == model_id("beta")
    assert MOVED not in raw.headers  # a first turn has nowhere to move from

    upstream.script("alpha")  # the primary answers again: a new conversation starts on it
    second = turn(first, answer.choices[0].message.content or "", "And in lakes?")
    raw = client.chat.completions.with_raw_response.create(model="trio", messages=second)  # type: ignore[arg-type]
    assert raw.parse().model == model_id("beta")
    assert raw.headers[ROUTE] == f"{model_id('beta')} ok"  # alpha not even tried
    assert MOVED not in raw.headers
    assert upstream.calls("alpha") == 0 and upstream.calls("beta") == 2


@pytest.mark.slow
def test_when_the_model_fails_the_conversation_moves_and_the_answer_names_the_move(
    claude: anthropic.Anthropic, upstream: Upstream
) -> None:
    first: list[Any] = [{"role": "user", "content": "Plan a trip to Lisbon."}]
    message = claude.messages.create(model="quad", max_tokens=50, messages=first)
    assert message.model == model_id("delta")

    upstream.script("delta", failure(500, "down"))
    second = turn(first, "Day one: Alfama.", "And day two?")
    raw = claude.messages.with_raw_response.create(model="quad", max_tokens=50, messages=second)  # type: ignore[arg-type]
    assert raw.parse().model == model_id("epsilon")
    assert raw.headers[MOVED] == model_id("delta")
    assert upstream.calls("delta") == 1 and upstream.calls("epsilon") == 1

    upstream.script("delta")  # back, but the conversation is on epsilon now
    third = turn(second, "Day two: Belem.", "And day three?")
    raw = claude.messages.with_raw_response.create(model="quad", max_tokens=50, messages=third)  # type: ignore[arg-type]
    assert raw.parse().model == model_id("epsilon")
    assert raw.headers[ROUTE] == f"{model_id('epsilon')} ok" and MOVED not in raw.headers


@pytest.mark.slow
def test_a_conversation_named_by_the_client_stays_on_its_model_across_apis_and_streams(
    client: openai.OpenAI, upstream: Upstream
) -> None:
    upstream.script("eta", failure(503, "busy"))
    ask = {"model": model_id("eta"), "extra_body": {"models": [model_id("theta")]}}
    named = {"x-neoclone-conversation": "ticket-4711"}
    response = client.responses.create(input="Hello", extra_headers=named, **ask)
    assert response.model == model_id("theta")

    upstream.script("eta")
    upstream.script("theta", tokens("still ", "theta"))
    with client.responses.with_streaming_response.create(
        input="Another question", stream=True, extra_headers=named, **ask
    ) as streamed:
        assert streamed.headers["x-neoclone-model"] == model_id("theta")
        events = list(streamed.parse())
    assert events[-1].type == "response.completed"
    assert events[-1].response.output_text == "still theta"
    assert upstream.calls("eta") == 0

    other = client.responses.create(
        input="Hello", extra_headers={"x-neoclone-conversation": "ticket-4712"}, **ask
    )
    assert other.model == model_id("eta")  # another conversation runs its plan as it is


@pytest.mark.slow
def test_a_stream_names_the_move_before_its_first_byte(
    claude: anthropic.Anthropic, upstream: Upstream
) -> None:
    upstream.script("iota", failure(503, "busy"))
    ask: dict[str, Any] = {"model": model_id("iota"), "max_tokens": 50}
    ask["extra_body"] = {"models": [model_id("kappa"), model_id("lambda")]}
    first: list[Any] = [{"role": "user", "content": "Name three rivers."}]
    assert claude.messages.create(messages=first, **ask).model == model_id("kappa")

    upstream.script("kappa", failure(500, "down"))
    upstream.script("lambda", tokens("Nile, ", "Amazon, ", "Danube"))
    second = turn(first, "Nile, Amazon, Yangtze.", "Three more?")
    with claude.messages.stream(messages=second, **ask) as stream:
        assert stream.response.headers[MOVED] == model_id("kappa")
        assert stream.response.headers["x-neoclone-model"] == model_id("lambda")
        assert stream.get_final_text() == "Nile, Amazon, Danube"
    assert upstream.calls("kappa") == 1  # tried first, failed, then the move


# -- the rule itself, in process ------------------------------------------------------------


class Catalog:
    """What `Conversations` asks of a `Neoclone`: a model by id, and the last resort."""

    def __init__(self, *names: str, last_resort: str | None = None) -> None:
        self.by_id = {model_id(n): ModelInfo("openrouter", f"vendor/{n}:free") for n in names}
        self.last_resort = self.by_id.get(model_id(last_resort)) if last_resort else None

    def model(self, wanted: str) -> ModelInfo:
        if wanted not in self.by_id:
            raise UnknownModelError(wanted)
        return self.by_id[wanted]


def body(*messages: dict[str, Any]) -> ChatBody:
    return ChatBody("trio", ChatRequest(messages=messages))


HELLO = {"role": "user", "content": "hello"}
ANSWER = {"role": "assistant", "content": "hi"}


def plan(catalog: Catalog, *names: str) -> Plan:
    return Plan(models=tuple(catalog.model(model_id(n)) for n in names))


def test_a_continued_conversation_puts_its_model_first_and_a_first_turn_does_not() -> None:
    catalog = Catalog("alpha", "beta")
    conversations = Conversations(catalog)  # type: ignore[arg-type]
    first = conversation_of({}, body(HELLO))
    assert conversations.served(first, model_id("beta")) is None
    again = conversation_of({}, body(HELLO))
    assert conversations.steer(again, plan(catalog, "alpha", "beta")).primary.id == model_id(
        "alpha"
    )  # type: ignore[union-attr]
    later = conversation_of({}, body(HELLO, ANSWER, HELLO))
    assert later.key == first.key and later.continued
    steered = conversations.steer(later, plan(catalog, "alpha", "beta"))
    assert [m.id for m in steered.models] == [model_id("beta"), model_id("alpha")]
    assert conversations.served(later, model_id("alpha")) == model_id("beta")  # it moved


def test_the_last_resort_serves_a_turn_without_taking_the_conversation() -> None:
    catalog = Catalog("alpha", "local", last_resort="local")
    conversations = Conversations(catalog)  # type: ignore[arg-type]
    turn_two = conversation_of({}, body(HELLO, ANSWER, HELLO))
    conversations.served(turn_two, model_id("alpha"))
    assert conversations.served(turn_two, model_id("local")) == model_id("alpha")
    assert conversations.model_of(turn_two.key) == model_id("alpha")  # tried first next time


def test_conversations_are_forgotten_when_idle_or_crowded_out_or_their_model_left() -> None:
    now = [0.0]
    catalog = Catalog("alpha", "beta")
    conversations = Conversations(catalog, max_conversations=2, idle_s=60, clock=lambda: now[0])  # type: ignore[arg-type]
    keys = [conversation_of({"x-neoclone-conversation": str(i)}, body(HELLO)) for i in range(3)]
    for key in keys:
        conversations.served(key, model_id("alpha"))
    assert conversations.model_of(keys[0].key) is None  # the least recently used went
    now[0] = 61.0
    assert conversations.model_of(keys[2].key) is None  # idle for longer than an hour
    conversations.served(keys[1], "openrouter/vendor/gone:free")
    assert conversations.steer(keys[1], plan(catalog, "alpha")).primary.id == model_id("alpha")  # type: ignore[union-attr]
