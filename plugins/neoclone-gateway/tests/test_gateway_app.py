"""The gateway's HTTP contract, in process: `create_app` over a real `Neoclone` whose
OpenRouter plugin talks real HTTP to a RecordingServer, called through httpx's ASGI
transport. Shapes, model names, errors and every security rule; the same app run by
`neoclone serve` and driven by the `openai` library is in test_gateway_openai.py."""

from __future__ import annotations

import hmac
import json
from collections.abc import AsyncIterator, MutableMapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest
from neoclone_gateway import GatewayOptions, check_bind, create_app, is_loopback
from neoclone_gateway.testing import (
    GATEWAY_KEY,
    PLANTED_KEY,
    Upstream,
    failure,
    metric,
    model_id,
    open_neoclone,
    tokens,
)

from neoclone_core import (
    EnginePolicy,
    Neoclone,
    RetryPolicy,
    Secret,
    redact,
)
from neoclone_core.errors import ConfigError, StoreError
from neoclone_core.testing import RecordingServer, Reply

pytestmark = pytest.mark.anyio
NO_RETRIES = EnginePolicy(retry=RetryPolicy(max_retries=0))
HELLO = [{"role": "user", "content": "hello"}]


@asynccontextmanager
async def gateway(
    tmp_path: Path, upstream: Upstream, **options: Any
) -> AsyncIterator[tuple[httpx.AsyncClient, Neoclone]]:
    async with open_neoclone(tmp_path / "home", upstream) as neoclone:
        await neoclone.discover()
        app = create_app(neoclone, GatewayOptions(**options))
        transport = httpx.ASGITransport(app=app)
        json_body = {"Content-Type": "application/json"}  # what OpenAI clients send
        async with httpx.AsyncClient(
            transport=transport, base_url="http://127.0.0.1:8000", headers=json_body
        ) as client:
            yield client, neoclone


@pytest.fixture
def upstream(server: RecordingServer) -> Upstream:
    return Upstream(server)


def chat(model: str, **fields: Any) -> dict[str, Any]:
    return {"model": model, "messages": HELLO, **fields}


# -- shapes ---------------------------------------------------------------------------------


async def test_models_lists_the_aliases_the_sessions_and_the_catalog_in_openais_shape(
    tmp_path: Path, upstream: Upstream
) -> None:
    async with gateway(tmp_path, upstream) as (client, neoclone):
        await neoclone.create_session("pair", model_id("alpha"), [model_id("beta")])
        body = (await client.get("/v1/models")).json()
    assert body["object"] == "list"
    ids = [entry["id"] for entry in body["data"]]
    assert ids[:6] == [
        "neoclone/auto",
        "neoclone/auto-code",
        "neoclone/auto-reasoning",
        "neoclone/auto-vision",
        "neoclone/auto-tools",
        "pair",
    ]
    assert model_id("alpha") in ids
    entry = next(e for e in body["data"] if e["id"] == model_id("alpha"))
    assert entry["object"] == "model" and entry["owned_by"] == "openrouter"
    assert isinstance(entry["created"], int) and entry["free"] is True


async def test_one_model_is_retrieved_by_id_and_an_unknown_one_is_a_404(
    tmp_path: Path, upstream: Upstream
) -> None:
    async with gateway(tmp_path, upstream) as (client, _):
        found = await client.get(f"/v1/models/{model_id('beta')}")
        missing = await client.get("/v1/models/openrouter/nope")
    assert found.json()["id"] == model_id("beta")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "model_not_found"


async def test_a_completion_names_the_model_that_served_and_its_route_in_headers(
    tmp_path: Path, upstream: Upstream
) -> None:
    upstream.script("alpha", failure(500, "down"))
    async with gateway(tmp_path, upstream) as (client, _):
        response = await client.post(
            "/v1/chat/completions", json=chat(model_id("alpha"), models=[model_id("beta")])
        )
    body = response.json()
    assert response.status_code == 200
    assert body["object"] == "chat.completion" and body["id"].startswith("chatcmpl-")
    assert body["model"] == model_id("beta")
    assert body["choices"][0]["message"] == {"role": "assistant", "content": "answer from beta"}
    assert body["choices"][0]["finish_reason"] == "stop"
    assert response.headers["x-neoclone-route"] == (
        f"{model_id('alpha')} failed (unavailable), {model_id('beta')} ok"
    )
    assert response.headers["x-neoclone-fallbacks"] == "1"
    assert float(response.headers["x-neoclone-overhead-ms"]) >= 0


async def test_usage_is_reported_when_the_provider_reports_it(
    tmp_path: Path, upstream: Upstream
) -> None:
    from neoclone_gateway.testing import answer

    upstream.script("alpha", answer("hi", prompt_tokens=5, completion_tokens=2))
    async with gateway(tmp_path, upstream) as (client, _):
        body = (await client.post("/v1/chat/completions", json=chat(model_id("alpha")))).json()
    assert body["usage"] == {"prompt_tokens": 5, "completion_tokens": 2, "total_tokens": 7}


async def test_tool_calls_come_back_in_openais_shape(tmp_path: Path, upstream: Upstream) -> None:
    call = {"id": "c1", "type": "function", "function": {"name": "now", "arguments": "{}"}}
    message = {"role": "assistant", "content": None, "tool_calls": [call]}
    choice = {"index": 0, "message": message, "finish_reason": "tool_calls"}
    upstream.script("alpha", Reply(body={"id": "u", "choices": [choice]}))
    tools = [{"type": "function", "function": {"name": "now", "parameters": {}}}]
    async with gateway(tmp_path, upstream) as (client, _):
        response = await client.post(
            "/v1/chat/completions", json=chat(model_id("alpha"), tools=tools)
        )
    choice = response.json()["choices"][0]
    assert choice["message"] == {"role": "assistant", "content": None, "tool_calls": [call]}
    assert choice["finish_reason"] == "tool_calls"
    assert upstream.requests("alpha")[-1].json()["tools"] == tools


async def test_a_stream_is_openais_chunks_then_done(tmp_path: Path, upstream: Upstream) -> None:
    upstream.script("alpha", tokens("Hel", "lo"))
    async with gateway(tmp_path, upstream) as (client, _):
        response = await client.post(
            "/v1/chat/completions", json=chat(model_id("alpha"), stream=True)
        )
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["x-neoclone-model"] == model_id("alpha")
    events = [e for e in response.text.split("\n\n") if e.startswith("data: ")]
    assert events[-1] == "data: [DONE]"
    chunks = [json.loads(e.removeprefix("data: ")) for e in events[:-1]]
    assert {c["object"] for c in chunks} == {"chat.completion.chunk"}
    assert {c["model"] for c in chunks} == {model_id("alpha")}
    assert [c["choices"][0]["delta"] for c in chunks] == [
        {"role": "assistant", "content": ""},
        {"content": "Hel"},
        {"content": "lo"},
        {},
    ]
    assert [c["choices"][0]["finish_reason"] for c in chunks][-1] == "stop"


async def test_a_stream_broken_after_its_first_token_ends_with_an_error_event(
    tmp_path: Path, upstream: Upstream
) -> None:
    upstream.script("alpha", tokens("one ", "two ", "three", cut_after_events=2))
    async with gateway(tmp_path, upstream) as (client, _):
        response = await client.post(
            "/v1/chat/completions", json=chat(model_id("alpha"), stream=True)
        )
    events = [json.loads(e.removeprefix("data: ")) for e in response.text.split("\n\n") if e]
    assert [e["choices"][0]["delta"].get("content") for e in events[1:3]] == ["one ", "two "]
    assert events[-1]["error"]["code"] == "stream_interrupted"
    assert "[DONE]" not in response.text


# -- model names ---------------------------------------------------------------------------


async def test_a_session_name_runs_the_sessions_models_in_order(
    tmp_path: Path, upstream: Upstream
) -> None:
    upstream.script("gamma", failure(503, "busy"))
    async with gateway(tmp_path, upstream) as (client, neoclone):
        await neoclone.create_session("pair", model_id("gamma"), [model_id("delta")])
        body = (await client.post("/v1/chat/completions", json=chat("pair"))).json()
    assert body["model"] == model_id("delta")


async def test_auto_code_requires_a_code_model(tmp_path: Path, upstream: Upstream) -> None:
    async with gateway(tmp_path, upstream) as (client, _):
        body = (await client.post("/v1/chat/completions", json=chat("neoclone/auto-code"))).json()
        plain = (await client.post("/v1/chat/completions", json=chat("neoclone/auto"))).json()
    assert body["model"] == model_id("qwen-coder")
    assert plain["model"].startswith("openrouter/vendor/")


async def test_an_alias_no_model_fits_is_a_503_and_an_unknown_alias_a_404(
    tmp_path: Path, upstream: Upstream
) -> None:
    async with gateway(tmp_path, upstream) as (client, _):
        vision = await client.post("/v1/chat/completions", json=chat("neoclone/auto-vision"))
        unknown = await client.post("/v1/chat/completions", json=chat("neoclone/auto-poetry"))
        fallbacks = await client.post(
            "/v1/chat/completions", json=chat("neoclone/auto", models=[model_id("alpha")])
        )
    assert vision.status_code == 503
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "model_not_found"
    assert fallbacks.status_code == 400 and fallbacks.json()["error"]["param"] == "models"


async def test_an_unknown_model_is_a_404_suggesting_close_ids(
    tmp_path: Path, upstream: Upstream
) -> None:
    async with gateway(tmp_path, upstream) as (client, _):
        response = await client.post(
            "/v1/chat/completions", json=chat("openrouter/vendor/alpah:free")
        )
    error = response.json()["error"]
    assert response.status_code == 404
    assert error["code"] == "model_not_found" and error["param"] == "model"
    assert model_id("alpha") in error["message"]


# -- errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "param"),
    [
        (b"{not json", None),
        (b"[]", None),
        (json.dumps({"model": "x"}).encode(), "messages"),
        (json.dumps({"messages": HELLO}).encode(), "model"),
        (b"[" * 100_000 + b"]" * 100_000, None),  # nested past Python's recursion limit
        (json.dumps(chat("x", n=2)).encode(), "n"),
        (json.dumps(chat("x", stream="yes")).encode(), "stream"),
        (json.dumps(chat("x", max_tokens=0)).encode(), "max_tokens"),
        (json.dumps({"model": "x", "messages": [{"content": "no role"}]}).encode(), "messages"),
        # Values Python's JSON reader takes that no upstream call can carry (issue 16, 1)
        (json.dumps(chat("x", temperature=float("nan"))).encode(), "temperature"),
        (json.dumps(chat("x", top_p=float("inf"))).encode(), "top_p"),
        (b'{"model": "x", "messages": [{"role": "user", "content": "a\\ud800"}]}', "messages"),
        # ... also when the bytes hide them: a surrogate encoded as UTF-8 bytes, which the
        # JSON reader decodes as text, and a NaN in a UTF-16 body, which it also reads
        (b'{"model": "x", "messages": [{"role": "user", "content": "a\xed\xa0\x80"}]}', "messages"),
        (json.dumps(chat("x", temperature=float("nan"))).encode("utf-16"), "temperature"),
        # Content of a type no provider reads (issue 16)
        (
            json.dumps({"model": "x", "messages": [{"role": "user", "content": 42}]}).encode(),
            "messages",
        ),
        (
            json.dumps(
                chat("x", messages=[{"role": "user", "content": [{"text": "no type"}]}])
            ).encode(),
            "messages",
        ),
    ],
)
async def test_an_invalid_body_is_a_400_naming_the_field(
    tmp_path: Path, upstream: Upstream, body: bytes, param: str | None
) -> None:
    async with gateway(tmp_path, upstream) as (client, _):
        response = await client.post("/v1/chat/completions", content=body)
        after = await client.post("/v1/chat/completions", json=chat(model_id("alpha")))
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error" and error["param"] == param
    assert after.status_code == 200  # the refused body cost the provider nothing


async def test_every_model_failing_is_a_503_listing_each_attempt_with_upstream_text_redacted(
    tmp_path: Path, upstream: Upstream
) -> None:
    upstream.script("alpha", failure(500, f"internal error; your key {PLANTED_KEY} is fine"))
    upstream.script("beta", failure(502, "bad gateway"))
    async with gateway(tmp_path, upstream) as (client, _):
        response = await client.post(
            "/v1/chat/completions", json=chat(model_id("alpha"), models=[model_id("beta")])
        )
    error = response.json()["error"]
    assert response.status_code == 503
    assert error["type"] == "server_error" and error["code"] == "no_model_available"
    assert [(a["model"], a["outcome"], a["error_kind"]) for a in error["attempts"]] == [
        (model_id("alpha"), "failed", "unavailable"),
        (model_id("beta"), "failed", "unavailable"),
    ]
    assert "[REDACTED]" in error["attempts"][0]["error"]
    assert PLANTED_KEY not in response.text


async def test_every_model_rate_limited_is_the_gateways_own_429_with_retry_after(
    tmp_path: Path, upstream: Upstream
) -> None:
    upstream.script("alpha", failure(429, "slow down", {"Retry-After": "30"}))
    upstream.script("beta", failure(429, "slow down", {"Retry-After": "120"}))
    body = chat(model_id("alpha"), models=[model_id("beta")])
    async with gateway(tmp_path, upstream) as (client, _):
        first = await client.post("/v1/chat/completions", json=body)
        again = await client.post("/v1/chat/completions", json=body)
    assert first.status_code == 429
    assert first.json()["error"]["type"] == "rate_limit_error"
    assert 29 <= int(first.headers["retry-after"]) <= 30
    assert again.status_code == 429  # both skipped now: nothing was called
    assert [a["outcome"] for a in again.json()["error"]["attempts"]] == ["skipped", "skipped"]
    assert upstream.calls("alpha") == upstream.calls("beta") == 1


async def test_a_request_the_strategy_returns_to_the_caller_is_the_callers_400(
    tmp_path: Path, upstream: Upstream
) -> None:
    upstream.script("alpha", failure(400, "temperature must be <= 2"))
    async with gateway(tmp_path, upstream) as (client, _):
        response = await client.post(
            "/v1/chat/completions", json=chat(model_id("alpha"), models=[model_id("beta")])
        )
    assert response.status_code == 400
    assert "temperature must be <= 2" in response.json()["error"]["message"]
    assert upstream.calls("beta") == 0


async def test_unknown_paths_and_methods_answer_in_openais_error_shape(
    tmp_path: Path, upstream: Upstream
) -> None:
    async with gateway(tmp_path, upstream) as (client, _):
        missing = await client.get("/v1/embeddings")
        wrong = await client.get("/v1/chat/completions")
    assert missing.status_code == 404 and "error" in missing.json()
    assert wrong.status_code == 405 and wrong.json()["error"]["code"] == "method_not_allowed"
    assert wrong.headers["allow"] == "POST"  # HTTP requires a 405 to say what is allowed


# -- security -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "field",
    ["base_url", "api_base", "api_key", "headers", "extra_headers", "upstream_url", "auth_token"],
)
async def test_a_body_cannot_set_upstream_urls_keys_or_headers(
    tmp_path: Path, upstream: Upstream, field: str
) -> None:
    value: object = {"Authorization": "Bearer x"} if "header" in field else "http://127.0.0.1:9"
    async with gateway(tmp_path, upstream) as (client, _):
        response = await client.post(
            "/v1/chat/completions", json=chat(model_id("alpha"), **{field: value})
        )
    assert response.status_code == 400
    assert response.json()["error"]["param"] == field
    assert upstream.calls("alpha") == 0


async def test_usual_parameters_pass_through_and_unknown_fields_are_never_sent(
    tmp_path: Path, upstream: Upstream
) -> None:
    fields = {
        "top_p": 0.5,
        "stop": ["\n"],
        "seed": 7,
        "max_completion_tokens": 12,
        "temperature": 0.2,
        "metadata": {"x": "y"},
        "surprise": {"url": "http://127.0.0.1:9"},
    }
    async with gateway(tmp_path, upstream) as (client, _):
        response = await client.post("/v1/chat/completions", json=chat(model_id("alpha"), **fields))
    assert response.status_code == 200
    sent = upstream.requests("alpha")[-1].json()
    assert sent["top_p"] == 0.5 and sent["stop"] == ["\n"] and sent["seed"] == 7
    assert sent["max_tokens"] == 12 and sent["temperature"] == 0.2
    assert "surprise" not in sent and "metadata" not in sent
    assert sent["model"] == "vendor/alpha:free"


async def test_the_clients_headers_never_reach_the_upstream(
    tmp_path: Path, upstream: Upstream
) -> None:
    headers = {
        "Authorization": f"Bearer {GATEWAY_KEY}",
        "OpenAI-Organization": "org-client",
        "X-Upstream-Key": "client-chosen",
    }
    async with gateway(tmp_path, upstream, key=Secret(GATEWAY_KEY)) as (client, _):
        response = await client.post(
            "/v1/chat/completions", json=chat(model_id("alpha")), headers=headers
        )
    assert response.status_code == 200
    sent = upstream.requests("alpha")[-1].headers
    assert sent["authorization"] == f"Bearer {PLANTED_KEY}"
    assert "openai-organization" not in sent and "x-upstream-key" not in sent
    assert GATEWAY_KEY not in str(sent)


async def test_with_a_key_set_every_endpoint_but_health_requires_it(
    tmp_path: Path, upstream: Upstream
) -> None:
    async with gateway(tmp_path, upstream, key=Secret(GATEWAY_KEY)) as (client, _):
        missing = await client.get("/v1/models")
        wrong = await client.get("/v1/models", headers={"Authorization": "Bearer not-the-key"})
        metrics = await client.get("/metrics")
        right = await client.get("/v1/models", headers={"Authorization": f"Bearer {GATEWAY_KEY}"})
        health = await client.get("/health")
        chat_missing = await client.post("/v1/chat/completions", json=chat(model_id("alpha")))
    assert missing.status_code == wrong.status_code == metrics.status_code == 401
    assert missing.json()["error"]["code"] == "missing_api_key"
    assert wrong.json()["error"]["code"] == "invalid_api_key"
    assert "not-the-key" not in wrong.text
    assert right.status_code == 200 and health.status_code == 200
    assert chat_missing.status_code == 401 and upstream.calls("alpha") == 0


async def test_a_body_over_the_limit_is_refused_unread_or_as_it_arrives(
    tmp_path: Path, upstream: Upstream
) -> None:
    big = json.dumps(chat(model_id("alpha"), user="x" * 5000)).encode()

    async def chunked() -> AsyncIterator[bytes]:
        for start in range(0, len(big), 1000):
            yield big[start : start + 1000]

    async with gateway(tmp_path, upstream, max_body_bytes=2048) as (client, _):
        declared = await client.post("/v1/chat/completions", content=big)
        streamed = await client.post("/v1/chat/completions", content=chunked())
        small = await client.post("/v1/chat/completions", json=chat(model_id("alpha")))
    assert declared.status_code == streamed.status_code == 413
    assert declared.json()["error"]["code"] == "request_too_large"
    assert streamed.json()["error"]["code"] == "request_too_large"
    assert small.status_code == 200 and upstream.calls("alpha") == 1


async def test_without_a_key_only_json_addressed_to_this_machine_is_served(
    tmp_path: Path, upstream: Upstream
) -> None:
    # What a web page can make a browser send without asking first: a text body (no
    # CORS preflight), or any body to a name it rebinds to 127.0.0.1 (DNS rebinding).
    body = json.dumps(chat(model_id("alpha"))).encode()
    async with gateway(tmp_path, upstream) as (client, _):
        text = await client.post(
            "/v1/chat/completions", content=body, headers={"Content-Type": "text/plain"}
        )
        rebound = await client.post(
            "/v1/chat/completions", content=body, headers={"Host": "attacker.example:8000"}
        )
        listing = await client.get("/v1/models", headers={"Host": "attacker.example"})
        for host in ("localhost:8000", "127.0.0.1", "[::1]:8000"):
            local = await client.get("/v1/models", headers={"Host": host})
            assert local.status_code == 200, host
        # Names that only begin like this machine's (issue 16): a page's own name.
        for host in ("[::1].evil.com", "[::1]:80.evil.com", "localhost:80x"):
            foreign = await client.get("/v1/models", headers={"Host": host})
            assert foreign.status_code == 403, host
    assert (text.status_code, text.json()["error"]["code"]) == (415, "unsupported_media_type")
    assert (rebound.status_code, rebound.json()["error"]["code"]) == (403, "host_not_allowed")
    assert listing.status_code == 403
    assert upstream.calls("alpha") == 0


async def test_with_a_key_any_host_name_is_served(tmp_path: Path, upstream: Upstream) -> None:
    headers = {"Authorization": f"Bearer {GATEWAY_KEY}", "Host": "gateway.internal"}
    async with gateway(tmp_path, upstream, key=Secret(GATEWAY_KEY)) as (client, _):
        response = await client.get("/v1/models", headers=headers)
    assert response.status_code == 200


async def test_no_cors_headers_are_sent_by_default(tmp_path: Path, upstream: Upstream) -> None:
    origin = {"Origin": "http://elsewhere.example"}
    preflight = {**origin, "Access-Control-Request-Method": "POST"}
    async with gateway(tmp_path, upstream) as (client, _):
        options = await client.options("/v1/chat/completions", headers=preflight)
        listing = await client.get("/v1/models", headers=origin)
    for response in (options, listing):
        assert not [h for h in response.headers if h.lower().startswith("access-control-")]
    assert options.status_code == 405


async def test_beyond_its_concurrency_the_gateway_answers_429_with_retry_after(
    tmp_path: Path, upstream: Upstream
) -> None:
    upstream.script("alpha", Reply(delay_s=60, body={}))  # held until the server stops
    async with gateway(tmp_path, upstream, max_concurrency=1) as (client, _):

        async def held() -> None:
            await client.post("/v1/chat/completions", json=chat(model_id("alpha")))

        async with anyio.create_task_group() as group:
            group.start_soon(held)
            assert await anyio.to_thread.run_sync(upstream.arrival("alpha").wait, 30)
            refused = await client.post("/v1/chat/completions", json=chat(model_id("beta")))
            group.cancel_scope.cancel()
        after = await client.post("/v1/chat/completions", json=chat(model_id("beta")))
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "1"
    assert refused.json()["error"]["code"] == "gateway_busy"
    assert after.status_code == 200  # the cancelled request gave its place back


async def test_slow_bodies_hold_no_slot_and_time_out_with_408(
    tmp_path: Path, upstream: Upstream
) -> None:
    """Issue 16, defect 3: clients that send headers and a few bytes, then wait, held
    every slot; a request takes its slot only once its body has arrived."""
    upstream.script("alpha")
    never = anyio.Event()

    async def trickle() -> AsyncIterator[bytes]:
        yield b'{"model": "'
        await never.wait()  # the rest never comes

    slow: list[httpx.Response] = []
    async with gateway(tmp_path, upstream, max_concurrency=2, body_timeout_s=1.0) as (client, _):

        async def stalled() -> None:
            slow.append(await client.post("/v1/chat/completions", content=trickle()))

        with anyio.fail_after(20):  # before the fix, the stalled requests never ended
            async with anyio.create_task_group() as group:
                for _ in range(3):  # more stalled clients than slots
                    group.start_soon(stalled)
                await anyio.sleep(0.2)
                served = await client.post("/v1/chat/completions", json=chat(model_id("alpha")))
    assert served.status_code == 200
    assert [r.status_code for r in slow] == [408, 408, 408]
    assert slow[0].json()["error"]["code"] == "request_timeout"


# -- metrics and health ---------------------------------------------------------------------


async def test_metrics_count_requests_attempts_fallbacks_errors_and_breaker_states(
    tmp_path: Path, upstream: Upstream
) -> None:
    upstream.script("alpha", failure(500, f"down, key {PLANTED_KEY}"))
    body = chat(model_id("alpha"), models=[model_id("beta")])
    async with gateway(tmp_path, upstream) as (client, _):
        await client.post("/v1/chat/completions", json=body)
        text = (await client.get("/metrics")).text
    assert (
        metric(text, "neoclone_http_requests_total", endpoint="/v1/chat/completions", status="200")
        == 1
    )
    assert metric(text, "neoclone_attempts_total", model=model_id("alpha"), outcome="failed") == 1
    assert metric(text, "neoclone_attempts_total", model=model_id("beta"), outcome="ok") == 1
    assert metric(text, "neoclone_fallbacks_total", from_model=model_id("alpha")) == 1
    assert metric(text, "neoclone_errors_total", provider="openrouter", kind="unavailable") == 1
    assert metric(text, "neoclone_overhead_seconds_count", stream="false") == 1
    closed = metric(text, "neoclone_breaker_state", key=model_id("alpha"), state="closed")
    assert closed == 1
    assert metric(text, "neoclone_state_store_up") == 1
    assert PLANTED_KEY not in text


async def test_health_says_ok_and_how_many_models_it_knows(
    tmp_path: Path, upstream: Upstream
) -> None:
    async with gateway(tmp_path, upstream) as (client, _):
        body = (await client.get("/health")).json()
    assert body["status"] == "ok" and body["models"] > 0


def test_the_planted_keys_have_no_shape_redact_knows() -> None:
    """So the tests above prove that the gateway replaces the exact keys it holds."""
    assert redact(PLANTED_KEY) == PLANTED_KEY
    assert redact(GATEWAY_KEY) == GATEWAY_KEY


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.5", True),
        ("localhost", True),
        ("::1", True),
        ("[::1]", True),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.2", False),
        ("gateway.example", False),
    ],
)
def test_only_loopback_may_be_listened_on_without_a_key(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
    check_bind(host, Secret(GATEWAY_KEY))  # with a key, anywhere
    if loopback:
        check_bind(host, None)
    else:
        with pytest.raises(ConfigError, match="NEOCLONE_GATEWAY_KEY"):
            check_bind(host, None)


async def test_the_key_is_compared_in_constant_time(
    tmp_path: Path, upstream: Upstream, monkeypatch: pytest.MonkeyPatch
) -> None:
    compared: list[tuple[bytes, bytes]] = []
    original = hmac.compare_digest

    def spy(given: bytes, expected: bytes) -> bool:
        compared.append((given, expected))
        return original(given, expected)

    monkeypatch.setattr("neoclone_gateway._guard.hmac.compare_digest", spy)
    async with gateway(tmp_path, upstream, key=Secret(GATEWAY_KEY)) as (client, _):
        await client.get("/v1/models", headers={"Authorization": "Bearer guess"})
    assert compared == [(b"guess", GATEWAY_KEY.encode())]


async def test_a_rescan_that_fails_is_logged_and_the_gateway_keeps_refreshing(
    captured: list[MutableMapping[str, Any]],
) -> None:
    from neoclone_gateway._serve import _refresh

    calls: list[int] = []
    second = anyio.Event()

    class LockedOnce:
        async def discover(self) -> None:
            calls.append(1)
            if len(calls) == 1:
                raise StoreError("database is locked")
            second.set()

    async with anyio.create_task_group() as group:
        group.start_soon(_refresh, LockedOnce(), 0.001)
        await second.wait()
        group.cancel_scope.cancel()
    failed = [e for e in captured if e["event"] == "neoclone.gateway_refresh_failed"]
    assert [e["error"] for e in failed] == ["StoreError: database is locked"]


async def test_mounted_under_a_prefix_its_key_and_limits_still_apply(
    tmp_path: Path, upstream: Upstream
) -> None:
    from starlette.applications import Starlette
    from starlette.routing import Mount

    async with open_neoclone(tmp_path / "home", upstream) as neoclone:
        await neoclone.discover()
        inner = create_app(neoclone, GatewayOptions(key=Secret(GATEWAY_KEY), max_concurrency=1))
        host = Starlette(routes=[Mount("/ai", app=inner)])
        transport = httpx.ASGITransport(app=host)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            health = await client.get("/ai/health")  # public, as at the root
            refused = await client.get("/ai/v1/models")  # no key
            allowed = await client.get(
                "/ai/v1/models", headers={"Authorization": f"Bearer {GATEWAY_KEY}"}
            )
    assert (health.status_code, refused.status_code, allowed.status_code) == (200, 401, 200)
