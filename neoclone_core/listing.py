"""Reading a model list that someone else writes: the rule every provider plugin reads
it by, and the small readers of its values (re-exported by `provider_kit`, which plugins
import).

A model list changes without notice, so every plugin reads it by the same rule, written
once here: a document that is no list of models at all raises `MalformedResponseError`
(the scan fails, the catalog keeps what it had); an entry that cannot be read is skipped
with a `neoclone.model_skipped` warning, so one odd model never hides the others; an
entry left out on purpose (an embedding model, a retired one) is logged with the same
event at debug level.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from neoclone_core.errors import MalformedResponseError
from neoclone_core.log import log
from neoclone_core.model_names import chat_capabilities, not_chat_by_name
from neoclone_core.models import Capability, ModelInfo, Pricing, RateLimit

_T = TypeVar("_T")
_PER_MILLION = Decimal(1_000_000)


class UnreadableEntryError(ValueError):
    """An entry of a model list cannot be read. Raised by a plugin's entry reader,
    caught by `read_entries`, which skips the entry with a warning: it never reaches the
    caller of a discovery."""


# -- the model list ----------------------------------------------------------------------


def model_list(
    document: object, provider: str, *, key: str | None = "data", what: str = "model list"
) -> list[Any]:
    """The entries of a model-list document: its `key` list (OpenAI's `{"data": [...]}`),
    or the document itself when `key` is None (a bare JSON array).

    Anything else raises MalformedResponseError naming `what` the document is: "the
    model list has no 'data' list", "the catalog is not a JSON array".
    """
    if key is None:
        listed = document
    else:
        listed = document.get(key) if isinstance(document, Mapping) else None
    if isinstance(listed, list):
        return listed
    why = f"the {what} is not a JSON array" if key is None else f"the {what} has no '{key}' list"
    raise malformed(provider, why)


def read_entries(
    entries: Iterable[object],
    provider: str,
    read: Callable[[Any], _T | None],
    *,
    name_key: str | None = "id",
) -> list[_T]:
    """What `read` makes of each entry, in order; entries it returns None for are left out.

    An entry `read` refuses with ValueError or TypeError (UnreadableEntryError, or a
    constructor such as ModelInfo refusing a value) is skipped with a
    `neoclone.model_skipped` warning whose reason is the error's message. The warning
    names the entry by its `name_key` field when that is a non-empty string, else by its
    position ("#3"); with `name_key` None, always by its position.
    """
    found: list[_T] = []
    for index, entry in enumerate(entries):
        try:
            item = read(entry)
        except (TypeError, ValueError) as exc:
            name = _entry_name(entry, index, name_key)
            log.warning("neoclone.model_skipped", provider=provider, entry=name, reason=str(exc))
            continue
        if item is not None:
            found.append(item)
    return found


def parse_model_list(
    document: object,
    provider: str,
    model_from_entry: Callable[[Any], ModelInfo | None],
    *,
    key: str | None = "data",
    what: str = "model list",
    name_key: str | None = "id",
) -> list[ModelInfo]:
    """The models of a model-list document: `model_list`, then `read_entries` with
    `model_from_entry`; see both for the arguments."""
    entries = model_list(document, provider, key=key, what=what)
    return read_entries(entries, provider, model_from_entry, name_key=name_key)


def entry_and_id(entry: object, key: str = "id") -> tuple[Mapping[str, Any], str]:
    """An entry as an object, and its id: its `key` field as written.

    Raises UnreadableEntryError ("not an object but list", "no id") for an entry that is
    not an object or whose id is not a string with something besides whitespace.
    """
    if not isinstance(entry, Mapping):
        msg = f"not an object but {type(entry).__name__}"
        raise UnreadableEntryError(msg)
    model_id = entry.get(key)
    if not isinstance(model_id, str) or not model_id.strip():
        msg = f"no {key}"
        raise UnreadableEntryError(msg)
    return entry, model_id


def log_left_out(provider: str, entry: str, reason: str) -> None:
    """Log that `entry` is left out on purpose (not a chat model, retired, ...): the
    `neoclone.model_skipped` event, at debug level since nothing is wrong."""
    log.debug("neoclone.model_skipped", provider=provider, entry=entry, reason=reason)


def malformed(provider: str, why: str, *, model: str = "") -> MalformedResponseError:
    """MalformedResponseError saying "<provider>: malformed response: <why>", with status
    200: the exchange went through, what came back is not what the API documents.
    `why` must hold no secret (pass it through `redact` first if it quotes a body)."""
    message = f"{provider}: malformed response: {why}"
    return MalformedResponseError(message, provider=provider, model=model, status=200)


def _entry_name(entry: object, index: int, name_key: str | None) -> str:
    name = entry.get(name_key) if name_key and isinstance(entry, Mapping) else None
    return name if isinstance(name, str) and name else f"#{index}"


# -- values ------------------------------------------------------------------------------


def positive_int(value: object) -> int | None:
    """`value` if it is an int above zero (a bool is no int here), else None: how a
    context length or a limit that is absent, null or nonsense reads."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return None


def stripped_str(value: object) -> str:
    """`value` stripped if it is a string, else "" (a name that is absent or not text)."""
    return value.strip() if isinstance(value, str) else ""


def as_mapping(value: object) -> Mapping[str, Any]:
    """`value` if it is an object, else an empty one, so that nested fields read as
    absent rather than failing: `as_mapping(entry.get("architecture")).get("modality")`."""
    return value if isinstance(value, Mapping) else {}


_CONTEXT_KEYS = ("context_length", "context_window", "max_model_len")


def chat_model_from_entry(
    provider: str,
    entry: object,
    *,
    free: bool = False,
    rate_limit: RateLimit | None = None,
    pricing: Pricing | None = None,
    capabilities: Iterable[Capability] = (),
) -> ModelInfo | None:
    """An entry of an OpenAI-style list (`id`, and maybe `name` and a context length
    under `context_length`, `context_window` or `max_model_len`) as a chat model; None,
    logged, when its id or name marks no chat model (see `not_chat_by_name`).

    Capabilities are text, streaming, and what the names say (`chat_capabilities`),
    plus `capabilities`. `free` must come from the provider's documented free tier:
    the list itself says nothing of it. The rate limit is kept only on a free model.
    """
    fields, model_id = entry_and_id(entry)
    name = stripped_str(fields.get("name"))
    reason = not_chat_by_name(model_id, name)
    if reason:
        log_left_out(provider, model_id, reason)
        return None
    context = next((positive_int(fields.get(k)) for k in _CONTEXT_KEYS if k in fields), None)
    return ModelInfo(
        provider=provider,
        name=model_id,
        display_name=name or model_id,
        context_length=context,
        capabilities=chat_capabilities(model_id, name) | set(capabilities),
        pricing=pricing or Pricing(),
        free=free,
        rate_limit=(rate_limit or RateLimit()) if free else RateLimit(),
    )


def price_per_million(value: object, *, per_token: bool = False) -> float | None:
    """A price in USD per million tokens, from a number or a numeric string.

    `per_token=True` reads a price per token ("0.000015", OpenRouter's way) and converts
    it exactly, through Decimal: "0.000000019" is 0.019, not 0.019000000000000003.
    None for an absent (None) or negative price, which lists use for "varies";
    UnreadableEntryError for anything that is not a finite number.
    """
    if value is None:
        return None
    msg = f"price {value!r} is not a number"
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise UnreadableEntryError(msg)
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation as exc:
        raise UnreadableEntryError(msg) from exc
    if not amount.is_finite():
        raise UnreadableEntryError(msg)
    if amount < 0:
        return None
    usd = float(amount * _PER_MILLION if per_token else amount)
    if not math.isfinite(usd):  # "1e400" is a finite Decimal, but no float
        raise UnreadableEntryError(msg)
    return usd


def read_pricing(
    value: object,
    input_key: str = "input",
    output_key: str = "output",
    *,
    per_token: bool = False,
) -> Pricing:
    """A `pricing` object's input and output prices (see `price_per_million`); unknown
    prices when it is absent, UnreadableEntryError when it is not an object."""
    if value is None:
        return Pricing()
    if not isinstance(value, Mapping):
        msg = "pricing is not an object"
        raise UnreadableEntryError(msg)
    return Pricing(
        price_per_million(value.get(input_key), per_token=per_token),
        price_per_million(value.get(output_key), per_token=per_token),
    )
