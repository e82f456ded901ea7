"""The value objects that flow through neoclone's four stages.

All are frozen attrs classes: hook payloads must not be changed by the plugins that
receive them. Times are POSIX timestamps (float seconds) so they store and compare
cheaply; durations are float seconds.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from neoclone_core.route import Attempt, Route

__all__ = [
    "Allowance",
    "Attempt",
    "Capability",
    "ChatChunk",
    "ChatRequest",
    "ChatResponse",
    "ModelInfo",
    "Plan",
    "Pricing",
    "ProviderFigures",
    "QuotaReading",
    "RateLimit",
    "Route",
    "Score",
    "ScoreComponent",
    "ScoredModel",
    "Source",
    "TaskProfile",
    "Usage",
    "as_chat_request",
    "content_text",
]


class Capability(str, enum.Enum):
    """What a model can do; also what a task needs."""

    TEXT = "text"
    CODE = "code"
    REASONING = "reasoning"
    VISION = "vision"
    TOOLS = "tools"
    STREAMING = "streaming"

    def __str__(self) -> str:
        return self.value


class Source(str, enum.Enum):
    """Where a catalog entry came from, shown in every listing."""

    LIVE = "live"  # scanned during this run
    CACHE = "cache"  # an earlier scan kept in the store
    SNAPSHOT = "snapshot"  # the dated snapshot bundled with the package

    def __str__(self) -> str:
        return self.value


def _optional_nonnegative(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and value < 0:
        msg = f"{attribute.name} must be >= 0 or None, not {value!r}"
        raise ValueError(msg)


@attrs.frozen
class Pricing:
    """USD per million tokens; None where the provider does not say (or prices vary)."""

    input_per_mtok: float | None = attrs.field(default=None, validator=_optional_nonnegative)
    output_per_mtok: float | None = attrs.field(default=None, validator=_optional_nonnegative)

    @property
    def is_zero(self) -> bool:
        """Both prices are known and zero."""
        return self.input_per_mtok == 0 and self.output_per_mtok == 0


@attrs.frozen
class RateLimit:
    """The documented free-tier limits; None where unknown."""

    requests_per_minute: int | None = attrs.field(default=None, validator=_optional_nonnegative)
    requests_per_day: int | None = attrs.field(default=None, validator=_optional_nonnegative)
    tokens_per_minute: int | None = attrs.field(default=None, validator=_optional_nonnegative)


def _optional_unit(_: Any, attribute: attrs.Attribute[Any], value: Any) -> None:
    if value is not None and not 0.0 <= value <= 1.0:
        msg = f"{attribute.name} must be in [0, 1] or None, not {value!r}"
        raise ValueError(msg)


def _figures(
    values: Mapping[str, float] | Iterable[tuple[str, float]],
) -> tuple[tuple[str, float], ...]:
    pairs = values.items() if isinstance(values, Mapping) else values
    return tuple(sorted((str(name), float(score)) for name, score in pairs))


@attrs.frozen
class ProviderFigures:
    """Quality figures a provider publishes about a model in its own listing, kept as
    they were read so that the ranking may use them: benchmark scores by name
    (`artificial_analysis.intelligence_index`: 71.4, on the source's own scale), the
    share of recent requests served (`uptime`, 0 to 1) and the median latency to the
    first token (`latency_s`). Empty when the listing says nothing."""

    benchmarks: tuple[tuple[str, float], ...] = attrs.field(default=(), converter=_figures)
    uptime: float | None = attrs.field(default=None, validator=_optional_unit)
    latency_s: float | None = attrs.field(default=None, validator=_optional_nonnegative)

    def benchmark(self, name: str) -> float | None:
        """The score of benchmark `name`, None when the listing gave none."""
        return dict(self.benchmarks).get(name)

    def __bool__(self) -> bool:
        return bool(self.benchmarks) or self.uptime is not None or self.latency_s is not None


def _capabilities(values: Any) -> frozenset[Capability]:
    return frozenset(Capability(v) for v in values)


def _messages(values: Iterable[Mapping[str, Any]]) -> tuple[Mapping[str, Any], ...]:
    return tuple(values)


def _models(values: Iterable[ModelInfo]) -> tuple[ModelInfo, ...]:
    return tuple(values)


@attrs.frozen
class ModelInfo:
    """One model as the catalog holds it, the same shape for every provider.

    `id` is `provider/name` and unique across the catalog; `name` is the id the
    provider's own API expects in a call.
    """

    provider: str
    name: str
    display_name: str = ""
    context_length: int | None = attrs.field(default=None, validator=_optional_nonnegative)
    capabilities: frozenset[Capability] = attrs.field(
        default=frozenset({Capability.TEXT}), converter=_capabilities
    )
    pricing: Pricing = Pricing()
    free: bool = False
    rate_limit: RateLimit = RateLimit()
    source: Source = Source.LIVE
    discovered_at: float = 0.0
    figures: ProviderFigures = ProviderFigures()

    @property
    def id(self) -> str:
        """The catalog-wide id, `provider/name`."""
        return f"{self.provider}/{self.name}"

    def supports(self, capability: Capability) -> bool:
        """Whether the model has `capability`."""
        return capability in self.capabilities


@attrs.frozen
class TaskProfile:
    """What a request needs, derived from its text by the task analyser.

    `required` capabilities rule a model out when missing; `preferred` ones only add
    score. `categories` name the kinds of task, the main need first. `difficulty` is
    how hard the request is, from 0 (trivial: "What is 2 + 2?") to 1 (competition
    mathematics, a whole program), None when the analyser does not say; scoring spends
    the strongest (scarcest) free models on hard requests. `reasons` explain in words
    what was detected and why.
    """

    text: str
    required: frozenset[Capability] = attrs.field(default=frozenset(), converter=_capabilities)
    preferred: frozenset[Capability] = attrs.field(default=frozenset(), converter=_capabilities)
    categories: tuple[str, ...] = ()
    min_context: int = 0
    wants_streaming: bool = False
    reasons: tuple[str, ...] = ()
    difficulty: float | None = attrs.field(default=None, validator=_optional_unit)

    @property
    def main_need(self) -> str:
        """The first category: what the request is mainly about ("chat" when none)."""
        return self.categories[0] if self.categories else "chat"


@attrs.frozen
class ChatRequest:
    """A chat completion request in OpenAI's message shape.

    `messages` are dicts with `role` and `content` exactly as OpenAI clients send them;
    `params` holds any other OpenAI parameter (top_p, stop, tools, ...) passed through.
    """

    messages: tuple[Mapping[str, Any], ...] = attrs.field(converter=_messages)
    max_tokens: int | None = None
    temperature: float | None = None
    stream: bool = False
    params: Mapping[str, Any] = attrs.field(factory=dict)

    @classmethod
    def from_prompt(cls, prompt: str, **kwargs: Any) -> ChatRequest:
        """A request holding one user message."""
        return cls(messages=({"role": "user", "content": prompt},), **kwargs)

    @property
    def text(self) -> str:
        """All textual message content joined, for task analysis and size estimates."""
        texts = (content_text(m.get("content"), separator="\n") for m in self.messages)
        return "\n".join(text for text in texts if text)


def content_text(content: object, *, separator: str = "") -> str:
    """Message content as text: a string, or the text parts of a content-part list joined
    by `separator` (images and other parts left out); "" for anything else. For whoever
    takes plain text where OpenAI takes content parts (task analysis, llama.cpp's chat
    templates, Replicate's prompts)."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return separator.join(
            str(part.get("text", ""))
            for part in content
            if isinstance(part, Mapping) and part.get("type") == "text"
        )
    return ""


def as_chat_request(request: str | ChatRequest | Mapping[str, Any]) -> ChatRequest:
    """A ChatRequest from a prompt, a ChatRequest, or an OpenAI-style dict
    (`messages`, or `prompt` / `task`, plus `max_tokens`, `temperature`)."""
    if isinstance(request, ChatRequest):
        return request
    if isinstance(request, str):
        return ChatRequest.from_prompt(request)
    extra = {k: request[k] for k in ("max_tokens", "temperature") if k in request}
    if "messages" in request:
        return ChatRequest(messages=request["messages"], **extra)
    for key in ("prompt", "task", "text"):
        if isinstance(request.get(key), str):
            return ChatRequest.from_prompt(request[key], **extra)
    msg = "a request needs 'messages' or a 'prompt' string"
    raise ValueError(msg)


@attrs.frozen
class Usage:
    """Token counts as the provider reported them (None where it did not)."""

    prompt_tokens: int | None = None
    completion_tokens: int | None = None


@attrs.frozen
class Allowance:
    """One kind of quota as a response stated it: `remaining` of `limit` (None when the
    provider did not say), starting again at `reset_at` (POSIX seconds; None when
    unknown)."""

    remaining: int
    limit: int | None = None
    reset_at: float | None = None


@attrs.frozen
class QuotaReading:
    """What one response's headers said was left of the key's quota, for requests and
    for tokens (either None when the response did not say). A reading is about the
    window the provider counts the call in, whichever that is: one that says 0 left is
    out until `reset_at`, whatever the catalog's figures (see `neoclone_core.quota`)."""

    requests: Allowance | None = None
    tokens: Allowance | None = None


@attrs.frozen
class ChatResponse:
    """A finished completion: the text, why it stopped, and which model wrote it;
    `quota` is what the response said was left of the provider's quota, if anything."""

    model_id: str
    content: str
    finish_reason: str | None = None
    usage: Usage = Usage()
    tool_calls: tuple[Mapping[str, Any], ...] = ()
    quota: QuotaReading | None = None


@attrs.frozen
class ChatChunk:
    """One piece of a streamed completion: text, tool-call pieces, or both.

    `tool_calls` holds OpenAI's stream deltas as they are: each names its call by
    `index`; a call's first piece carries its `id`, `type` and function `name`, and
    every piece some more of the function's `arguments` text, which a client joins.
    A stream's first chunk carries `quota`, what the response's headers said was left.
    """

    content: str = ""
    finish_reason: str | None = None
    tool_calls: tuple[Mapping[str, Any], ...] = ()
    quota: QuotaReading | None = None


@attrs.frozen
class ScoreComponent:
    """One named part of a model's score, with the points it earned out of its weight."""

    name: str
    points: float
    weight: float
    reason: str = ""


@attrs.frozen
class Score:
    """A model's total score and the components that make it up."""

    model_id: str
    components: tuple[ScoreComponent, ...] = ()

    @property
    def total(self) -> float:
        """The sum of the components' points."""
        return sum(c.points for c in self.components)


@attrs.frozen
class ScoredModel:
    """A catalog model with its score for one task."""

    model: ModelInfo
    score: Score


@attrs.frozen
class Plan:
    """The ordered models to try for one request: the primary first, then backups."""

    models: tuple[ModelInfo, ...] = attrs.field(converter=_models)
    reasons: tuple[str, ...] = ()

    @property
    def primary(self) -> ModelInfo | None:
        """The model tried first, if the plan has any."""
        return self.models[0] if self.models else None
