"""The budget in front of every call: the free-tier quota a call would spend, claimed in
the usage ledger before the call and corrected after it.

For a model it claims (`claims`):

- the model's own minute and day windows, limited by its catalog `rate_limit` when its
  provider counts per model, and by the user's budget for the model (`[quota.models]`);
- with a provider that counts per account (`QuotaRules.scope`), the provider's minute
  and day windows, limited by the account's limits; with a budget for the provider
  (`[quota.providers]`), the provider's windows limited by it;

days start as the provider's rules say (UTC, Pacific, sliding), minutes slide, and
every window is the key's own (named by its fingerprint). User requests may spend a
limit but for `health_share` of it, kept for health probes.

A claim the ledger refuses becomes the reason the call is skipped ("groq/llama-3.1-8b:
0 of 1,000 requests left today, resets 00:00 UTC"), before any connection is made; what
a response says (its `usage`, its `x-ratelimit-*` headers, on success and on a 429)
corrects the ledger after. When the ledger fails, the call goes ahead (fail open), as
with every other store failure.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import attrs

from neoclone_core.config_quota import QuotaSettings
from neoclone_core.errors import (
    BadRequestError,
    MissingAPIKeyError,
    ProviderError,
    ProviderUnreachableError,
    StoreError,
)
from neoclone_core.execute.calls import OpenedStream
from neoclone_core.log import log
from neoclone_core.models import ChatRequest, ChatResponse, ModelInfo, QuotaReading, RateLimit
from neoclone_core.quota import DEFAULT_RULES, DayStart, QuotaRules, QuotaScope
from neoclone_core.state.engine_state import provider_key
from neoclone_core.state.usage import (
    REQUESTS,
    Claim,
    LedgerView,
    Period,
    Reservation,
    Shortfall,
    UsageLedger,
    Window,
)

CHARS_PER_TOKEN = 4  # English prose and code, as OpenAI's tokenizers average
ANSWER_TOKENS = 512  # the answer's tokens when the request sets no max_tokens
_DAYS = {DayStart.UTC: Period.DAY_UTC, DayStart.PACIFIC: Period.DAY_PACIFIC}
_NOT_SENT = (MissingAPIKeyError, ProviderUnreachableError, BadRequestError)
_NONE = RateLimit()


def estimate_tokens(request: ChatRequest) -> int:
    """What a call of `request` may count against a token limit: its text at four
    characters a token, plus its `max_tokens` (or `ANSWER_TOKENS`), as Groq and
    Cerebras count a request before running it."""
    answer = request.max_tokens if request.max_tokens is not None else ANSWER_TOKENS
    return len(request.text) // CHARS_PER_TOKEN + 1 + max(answer, 0)


def rules_of(provider: object) -> QuotaRules:
    """The provider's `quota_rules`, or the default rules."""
    rules = getattr(provider, "quota_rules", None)
    return rules if isinstance(rules, QuotaRules) else DEFAULT_RULES


@attrs.define
class Budget:
    """Claims, corrections and what is left, for every call the engine makes."""

    ledger: UsageLedger | None
    settings: QuotaSettings
    rules: Callable[[str], QuotaRules]  # a provider's rules, by name
    clock: Callable[[], float]
    monotonic: Callable[[], float]
    sync_s: float = 1.0
    _view: LedgerView | None = None
    _viewed_at: float | None = None
    _claims: dict[tuple[str, RateLimit, str, bool], list[Claim]] = attrs.field(factory=dict)
    _out_until: dict[tuple[str, str], float] = attrs.field(factory=dict)  # (model, key) → reset

    # -- before the call ----------------------------------------------------------------

    def claims(self, model: ModelInfo, credential: str, *, probe: bool = False) -> list[Claim]:
        """The windows a call of `model` with the key `credential` counts in (made once
        per model, limits and key)."""
        key = (model.id, model.rate_limit, credential, probe)
        claims = self._claims.get(key)
        if claims is None:
            claims = self._claims[key] = self._make_claims(model, credential, probe=probe)
        return claims

    def _make_claims(self, model: ModelInfo, credential: str, *, probe: bool) -> list[Claim]:
        rules = self.rules(model.provider)
        day = _DAYS.get(rules.day_start, Period.DAY_SLIDING)
        keep = 0.0 if probe else self.settings.health_share
        account = self._account_limit(model, rules)
        own = _tighter(model.rate_limit if account is None else _NONE, self._model_budget(model))
        claims = _windows(model.id, credential, day, own, keep)
        provider = _tighter(account or _NONE, self.settings.providers.get(model.provider, _NONE))
        if account is not None or provider != _NONE:
            claims += _windows(provider_key(model.provider), credential, day, provider, keep)
        return claims

    def _account_limit(self, model: ModelInfo, rules: QuotaRules) -> RateLimit | None:
        """The account's limits a call of `model` counts against, or None when its
        provider counts per model or the call is not one the account limit counts
        (OpenRouter's paid models beside its free ones)."""
        if rules.scope is not QuotaScope.ACCOUNT:
            return None
        limit = rules.account_limit if rules.account_limit != _NONE else model.rate_limit
        return None if limit == _NONE else limit

    def reserve(
        self, model: ModelInfo, credential: str, request: ChatRequest, *, probe: bool = False
    ) -> Reservation | str | None:
        """The call counted in the ledger, or why it may not be made now; None when no
        ledger counts (none configured, or it failed: fail open)."""
        if self.ledger is None:
            return None
        claims = self.claims(model, credential, probe=probe)
        verdict: Reservation | Shortfall | None = None
        with self._ledger_errors("reserve"):
            verdict = self.ledger.reserve(claims, estimate_tokens(request), self.clock())
        if isinstance(verdict, Shortfall):
            self._view = None  # what is left changed: read it again
            self._out_until[model.id, credential] = verdict.resets_at
            return describe(verdict, self.clock())
        return verdict

    def out_until(self, model: ModelInfo, credential: str) -> float | None:
        """When the window that last refused `model` gives room back, if it still has
        not (what a gateway's `Retry-After` can say when every model is out)."""
        until = self._out_until.get((model.id, credential))
        return until if until is not None and until > self.clock() else None

    # -- after the call -----------------------------------------------------------------

    def succeeded(
        self, reservation: Reservation | None, model: ModelInfo, credential: str, value: object
    ) -> None:
        """Correct the ledger from a successful call's usage and quota reading (a
        stream's reading rides on its first chunk; its usage is not known)."""
        if self.ledger is None or reservation is None:
            return
        if isinstance(value, OpenedStream):
            if value.first is not None and value.first.quota is not None:
                with self._ledger_errors("observe"):
                    self._observe(model, credential, value.first.quota)
            return
        if not isinstance(value, ChatResponse):
            return
        usage = value.usage
        with self._ledger_errors("settle"):
            if usage.prompt_tokens is not None or usage.completion_tokens is not None:
                used = (usage.prompt_tokens or 0) + (usage.completion_tokens or 0)
                self.ledger.settle(reservation, used)
            self._observe(model, credential, value.quota)

    def failed(
        self,
        reservation: Reservation | None,
        model: ModelInfo,
        credential: str,
        error: ProviderError,
    ) -> None:
        """Correct the ledger after a failed call: what its response said of the quota;
        the request given back when it never left this machine."""
        if self.ledger is None or reservation is None:
            return
        with self._ledger_errors("settle"):
            if isinstance(error, _NOT_SENT):
                self.ledger.settle(reservation, 0, sent=False)
            self._observe(model, credential, error.quota)

    def _observe(self, model: ModelInfo, credential: str, reading: QuotaReading | None) -> None:
        if reading is None or self.ledger is None:
            return
        scope = model.id
        if self._account_limit(model, self.rules(model.provider)) is not None:
            scope = provider_key(model.provider)
        self.ledger.observe(scope, credential, reading, self.clock())
        self._view = None

    # -- what is left -------------------------------------------------------------------

    def view(self, *, fresh: bool = False) -> LedgerView | None:
        """The ledger as read at most `sync_s` ago (now when `fresh`); None without one."""
        if self.ledger is None:
            return None
        at = self.monotonic()
        stale = self._viewed_at is None or at - self._viewed_at >= self.sync_s
        if fresh or self._view is None or stale:
            with self._ledger_errors("usage"):
                self._view = self.ledger.usage(self.clock())
                self._viewed_at = at
        return self._view

    def shares_left(self) -> dict[str, float]:
        """The share left of the tightest limited window of each scope (a model id or a
        provider key) that has spent any: 0 for one that is out, 1 for one untouched."""
        view = self.view()
        if view is None:
            return {}
        shares: dict[str, float] = {}
        for window, count in view.counts.items():
            for used, limit in (
                (count.requests, count.request_limit),
                (count.tokens, count.token_limit),
            ):
                if limit:
                    share = max(limit - used, 0) / limit
                    shares[window.scope] = min(shares.get(window.scope, 1.0), share)
        for stated in view.stated:
            if stated.limit:
                share = max(stated.left, 0) / stated.limit
            else:
                share = 0.0 if stated.left <= 0 else 1.0
            shares[stated.scope] = min(shares.get(stated.scope, 1.0), share)
        return shares

    def _model_budget(self, model: ModelInfo) -> RateLimit:
        return self.settings.models.get(model.id, RateLimit())

    @contextmanager
    def _ledger_errors(self, operation: str) -> Iterator[None]:
        try:
            yield
        except StoreError as exc:
            what = f"ledger {operation}"
            log.warning("neoclone.state_unavailable", operation=what, error=str(exc))


def _tighter(a: RateLimit, b: RateLimit) -> RateLimit:
    """The lower of each limit of `a` and `b` (None where neither sets one)."""

    def low(x: int | None, y: int | None) -> int | None:
        return y if x is None else x if y is None else min(x, y)

    return RateLimit(
        low(a.requests_per_minute, b.requests_per_minute),
        low(a.requests_per_day, b.requests_per_day),
        low(a.tokens_per_minute, b.tokens_per_minute),
    )


def _windows(
    scope: str, credential: str, day: Period, limits: RateLimit, keep: float
) -> list[Claim]:
    """The minute and day windows of `scope`, limited by `limits` less the share `keep`."""

    def spendable(limit: int | None) -> int | None:
        return None if limit is None else max(math.floor(limit * (1 - keep)), 0)

    return [
        Claim(
            Window(scope, credential, Period.MINUTE),
            spendable(limits.requests_per_minute),
            spendable(limits.tokens_per_minute),
        ),
        Claim(Window(scope, credential, day), spendable(limits.requests_per_day)),
    ]


# -- saying why -----------------------------------------------------------------------------


def describe(shortfall: Shortfall, now: float) -> str:
    """Why a call is refused, in a sentence: "groq/m: 0 of 1,000 requests left today,
    resets 00:00 UTC", "openrouter: needs ~12,903 tokens, 6,990 of 7,000 left a minute,
    resets in 42s"."""
    window = shortfall.window
    who = window.scope.removeprefix("provider:")
    unit = shortfall.unit
    of = f" of {shortfall.limit:,}" if shortfall.limit is not None else ""
    per = "as the provider said" if shortfall.stated else window.period.per
    left = f"{shortfall.left:,}{of} {unit} left {per}"
    if unit != REQUESTS:
        left = f"needs ~{shortfall.needed:,} {unit}, {shortfall.left:,}{of} left {per}"
    return f"{who}: {left}, resets {when(shortfall.resets_at, now, window.period)}"


def when(at: float, now: float, period: Period) -> str:
    """A reset time as a user reads it: "00:00 UTC" for a calendar day, else "in 42s",
    "in 3h 12m"."""
    if not period.sliding and at == period.day(now)[1]:
        moment = datetime.datetime.fromtimestamp(at, datetime.timezone.utc)
        zone = " (midnight Pacific)" if period is Period.DAY_PACIFIC else ""
        return f"{moment:%H:%M} UTC{zone}"
    return "in " + span(at - now)


def span(seconds: float) -> str:
    """A wait, in the two largest units: "42s", "2m 59s", "3h 12m"."""
    whole = max(math.ceil(seconds), 0)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m {secs}s" if minutes else f"{secs}s"
