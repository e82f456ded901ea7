"""Running a language model on Replicate: one prediction, waited for, its output joined.

Replicate is not OpenAI-compatible. A chat is `POST /v1/models/{owner}/{name}/predictions`
with `{"input": {"prompt": ..., "system_prompt": ..., "max_tokens": ...}}`; the
`Prefer: wait` header holds the answer back until the prediction is done or the wait
(at most 60 s) runs out. Language models often answer while still `processing`, with
part of the output, so the prediction is then polled (`GET /v1/predictions/{id}`) until
it succeeds, fails or the call's time is up; a prediction given up on is cancelled, so
it stops costing money. The output of a language model is a list of text pieces.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import anyio
import httpx

from neoclone_core import ChatRequest, ChatResponse, ModelInfo, ProviderContext, Secret, Usage
from neoclone_core import redact as redact_secrets
from neoclone_core.errors import (
    MalformedResponseError,
    ProviderTimeoutError,
    ProviderUnavailableError,
    RateLimitedError,
)
from neoclone_core.openai.compat import content_text, get_json, post_json
from neoclone_core.openai.error_body import truncate
from neoclone_core.provider_kit import malformed

SUCCEEDED = "succeeded"
FAILED = frozenset({"failed", "canceled", "aborted"})
MAX_WAIT_S = 60  # the longest `Prefer: wait` Replicate honours
_CANCEL_TIMEOUT_S = 5.0
_RESETS_IN = re.compile(r"resets in ~?\s*(\d+(?:\.\d+)?)\s*s", re.IGNORECASE)
_SNIPPET = 200


async def run_prediction(
    ctx: ProviderContext, model: ModelInfo, request: ChatRequest, *, poll_interval: float
) -> ChatResponse:
    """Create a prediction and wait for its output, all within `ctx.timeout`."""
    key = ctx.require_api_key()
    started: Mapping[str, Any] | None = None
    with anyio.move_on_after(ctx.timeout):
        started = await _create(ctx, model, request)
        finished = await _until_done(ctx, model, started, poll_interval)
        return _response(ctx, model, finished)
    if started is not None:
        await _cancel(ctx, model, started, key)
    msg = f"{ctx.provider}: no answer within {ctx.timeout:g}s (the prediction was cancelled)"
    raise ProviderTimeoutError(msg, provider=ctx.provider, model=model.name)


def prediction_input(request: ChatRequest) -> dict[str, Any]:
    """The `input` of a language model's prediction, from OpenAI-shaped messages.

    System messages become `system_prompt`; the other turns become `prompt` (the user's
    text alone when there is one user turn, else a transcript ending in "Assistant:").
    `params["input"]` is merged last, for inputs a model names its own way.
    """
    system = [content_text(m.get("content")) for m in request.messages if m.get("role") == "system"]
    turns = [m for m in request.messages if m.get("role") != "system"]
    inputs: dict[str, Any] = {"prompt": _prompt(turns)}
    if system:
        inputs["system_prompt"] = "\n\n".join(system)
    if request.max_tokens is not None:
        inputs["max_tokens"] = request.max_tokens
    if request.temperature is not None:
        inputs["temperature"] = request.temperature
    if "top_p" in request.params:
        inputs["top_p"] = request.params["top_p"]
    extra = request.params.get("input")
    if isinstance(extra, Mapping):
        inputs.update(extra)
    return inputs


def _prompt(turns: list[Mapping[str, Any]]) -> str:
    if len(turns) == 1 and turns[0].get("role") == "user":
        return content_text(turns[0].get("content"))
    lines = [
        f"{str(t.get('role', 'user')).capitalize()}: {content_text(t.get('content'))}"
        for t in turns
    ]
    return "\n\n".join([*lines, "Assistant:"])


# -- calls ----------------------------------------------------------------------------------


async def _create(
    ctx: ProviderContext, model: ModelInfo, request: ChatRequest
) -> Mapping[str, Any]:
    """The prediction, created with the key of `ctx`; its 429 says when to come back in
    words ("Your rate limit resets in ~30s"), read when no header said it."""
    wait = max(1, min(MAX_WAIT_S, int(ctx.timeout) - 1))
    path = f"/models/{model.name}/predictions"
    body = {"input": prediction_input(request)}
    try:
        created = await post_json(
            ctx, path, body, model=model.name, headers={"Prefer": f"wait={wait}"}
        )
    except RateLimitedError as error:
        if error.retry_after is None and (found := _RESETS_IN.search(str(error))):
            error.retry_after = float(found.group(1))
        raise
    return _prediction(ctx, model, created)


async def _until_done(
    ctx: ProviderContext, model: ModelInfo, prediction: Mapping[str, Any], poll_interval: float
) -> Mapping[str, Any]:
    """Poll until the prediction succeeds or fails (the caller bounds the time)."""
    while prediction["status"] != SUCCEEDED and prediction["status"] not in FAILED:
        await anyio.sleep(poll_interval)
        polled = await get_json(ctx, f"/predictions/{prediction['id']}")
        prediction = _prediction(ctx, model, polled)
    return prediction


async def _cancel(
    ctx: ProviderContext, model: ModelInfo, prediction: Mapping[str, Any], key: Secret
) -> None:
    """Best effort: a prediction left running is still billed. Failures are ignored, the
    caller is already reporting the timeout."""
    url = f"{ctx.base_url}/predictions/{prediction['id']}/cancel"
    headers = {"Authorization": f"Bearer {key.reveal()}"}
    with anyio.move_on_after(_CANCEL_TIMEOUT_S, shield=True):
        try:
            await ctx.http.post(url, headers=headers, timeout=_CANCEL_TIMEOUT_S)
        except httpx.RequestError:
            return


# -- reading answers --------------------------------------------------------------------------


def _prediction(ctx: ProviderContext, model: ModelInfo, document: object) -> Mapping[str, Any]:
    """A prediction object, checked for the fields the loop relies on."""
    fields = document if isinstance(document, Mapping) else {}
    if not isinstance(fields.get("id"), str) or not isinstance(fields.get("status"), str):
        raise _malformed(ctx, model, f"not a prediction: {_snippet(document)}")
    return fields


def _response(
    ctx: ProviderContext, model: ModelInfo, prediction: Mapping[str, Any]
) -> ChatResponse:
    status = prediction["status"]
    if status in FAILED:
        error = prediction.get("error") or "no reason given"
        msg = f"{ctx.provider}: prediction {status}: {_snippet(error)}"
        raise ProviderUnavailableError(msg, provider=ctx.provider, model=model.name)
    metrics = prediction.get("metrics")
    metrics = metrics if isinstance(metrics, Mapping) else {}
    return ChatResponse(
        model_id=model.id,
        content=_output_text(ctx, model, prediction.get("output")),
        finish_reason="stop",
        usage=Usage(
            _count(metrics.get("input_token_count")), _count(metrics.get("output_token_count"))
        ),
    )


def _output_text(ctx: ProviderContext, model: ModelInfo, output: object) -> str:
    """A language model's output: text pieces to join, or (some models) one string."""
    if isinstance(output, str):
        return output
    if isinstance(output, list) and all(isinstance(piece, str) for piece in output):
        return "".join(output)
    raise _malformed(ctx, model, f"the output is not text: {_snippet(output)}")


# -- errors -----------------------------------------------------------------------------------


def _malformed(ctx: ProviderContext, model: ModelInfo, why: str) -> MalformedResponseError:
    return malformed(ctx.provider, redact_secrets(why, [ctx.api_key]), model=model.name)


def _snippet(value: object) -> str:
    if isinstance(value, bytes):
        text = value.decode("utf-8", errors="replace")
    elif isinstance(value, str):
        text = value
    else:
        text = json.dumps(value, default=str)
    return truncate(text, _SNIPPET) or "an empty body"


def _count(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None
