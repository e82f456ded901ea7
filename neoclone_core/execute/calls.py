"""One request in progress and the calls it makes: the value objects the engine, the
stream and the health checker pass between them, and how any exception from a provider
becomes a `ProviderError`."""

from __future__ import annotations

import hashlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Generic, TypeVar

import attrs

from neoclone_core.errors import ProviderError, ProviderTimeoutError, ProviderUnavailableError
from neoclone_core.execute.admission import CallPermit
from neoclone_core.execute.retry import Deadline
from neoclone_core.models import Attempt, ChatChunk, ChatRequest, ModelInfo, Plan, Route
from neoclone_core.provider import Provider, ProviderContext
from neoclone_core.state.usage import Reservation

T = TypeVar("T")


def as_provider_error(exc: BaseException, model: ModelInfo, timeout: float) -> ProviderError:
    """Any exception from a provider call as a ProviderError (plugin bugs count as the
    provider being unavailable, so the plan moves on)."""
    if isinstance(exc, ProviderError):
        return exc
    if isinstance(exc, TimeoutError):
        msg = f"{model.id}: no answer within {timeout:g}s"
        return ProviderTimeoutError(msg, provider=model.provider, model=model.name)
    msg = f"{model.id}: provider plugin failed: {type(exc).__name__}: {exc}"
    return ProviderUnavailableError(msg, provider=model.provider, model=model.name)


def credential_of(ctx: ProviderContext) -> str:
    """A short fingerprint of the provider's key ("" without one): enough to tell keys
    apart in stored cooldowns, useless for recovering the key."""
    if not ctx.api_key:
        return ""
    return hashlib.sha256(ctx.api_key.reveal().encode()).hexdigest()[:12]


@attrs.frozen
class Endpoint:
    """A provider with its call context, resolved once per engine."""

    provider: Provider
    ctx: ProviderContext
    credential: str


@attrs.frozen
class ActiveCall:
    """One call under way: which model, with which leave, since when (perf_counter)."""

    model: ModelInfo
    permit: CallPermit
    endpoint: Endpoint
    started: float
    retry: int
    reservation: Reservation | None = None  # what the call counts in the usage ledger


@attrs.frozen
class SucceededCall(Generic[T]):
    """The call that succeeded, and what it returned."""

    call: ActiveCall
    value: T


@attrs.define
class RequestRun:
    """One request in progress: its plan, its deadline, and its attempts so far."""

    plan: Plan
    request: ChatRequest
    session: str
    deadline: Deadline
    started: float = attrs.field(factory=time.perf_counter)
    attempts: list[Attempt] = attrs.field(factory=list)
    min_context: int | None = None
    route: Route | None = None


Call = Callable[[Provider, ProviderContext, ModelInfo], Awaitable[T]]


@attrs.frozen
class OpenedStream:
    """A stream that reached its first chunk (None: it ended without any)."""

    chunks: AsyncIterator[ChatChunk]
    first: ChatChunk | None
