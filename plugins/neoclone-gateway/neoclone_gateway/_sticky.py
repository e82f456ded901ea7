"""Sticky conversations: the turns of one conversation stay on the model that served it,
so the provider's prompt cache stays warm and the persona does not change mid-way.

A conversation is named by the client (`x-neoclone-conversation: <id>`), or else by a
hash of its beginning: the model name asked for, its fallbacks, and the messages up to
the first user message, which a chat client sends again, unchanged, with every turn.

The model that served a conversation goes first in the plan of its next turn (a request
whose messages include an earlier answer, or that names its conversation), whatever the
plan would have chosen; a first turn runs its plan as it is, so one-off requests that
happen to begin alike are not tied together. It stays first while the engine lets it
serve: a model in a cooldown (a rate limit, a spent quota) or behind an open breaker is
skipped like any other, and the next model of the plan serves. Then the conversation
moves, and the answer says so in `x-neoclone-moved-from` (the model it left; the
answer's `model` names the one it moved to). The last-resort local model serves a turn
without taking the conversation: the next turn tries the model it left first again.

Conversations live in the gateway's memory (each worker its own), the most recently
used 10,000 for an hour since their last turn.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping

import attrs

from neoclone_core import Neoclone, Plan
from neoclone_core.errors import UnknownModelError
from neoclone_gateway._body import ChatBody

CONVERSATION_HEADER = "x-neoclone-conversation"
MOVED_HEADER = "x-neoclone-moved-from"
_MAX_ID_LENGTH = 200
_OPENING_ROLES = frozenset({"system", "developer"})
_ANSWER_ROLES = frozenset({"assistant", "tool", "function"})


@attrs.frozen
class Conversation:
    """The conversation a request belongs to, and whether the request continues it (its
    model then goes first)."""

    key: str
    continued: bool


def conversation_of(headers: Mapping[str, str], body: ChatBody) -> Conversation:
    """The client's conversation id, or the hash of the request's beginning (see the
    module doc), for the model name asked for."""
    asked = [body.model, *body.fallbacks]
    given = headers.get(CONVERSATION_HEADER, "").strip()
    if given:
        return Conversation(_hash([asked, given[:_MAX_ID_LENGTH]]), continued=True)
    opening = []
    for message in body.request.messages:
        opening.append(dict(message))
        if message.get("role") not in _OPENING_ROLES:
            break
    continued = any(m.get("role") in _ANSWER_ROLES for m in body.request.messages)
    return Conversation(_hash([asked, opening]), continued)


def _hash(value: object) -> str:
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


class Conversations:
    """The model each conversation is on (see the module doc)."""

    def __init__(
        self,
        neoclone: Neoclone,
        *,
        max_conversations: int = 10_000,
        idle_s: float = 3600.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.neoclone = neoclone
        self.max_conversations = max_conversations
        self.idle_s = idle_s
        self.clock = clock
        self._models: OrderedDict[str, tuple[str, float]] = OrderedDict()

    def model_of(self, key: str) -> str | None:
        """The model conversation `key` is on, if it is known and was used lately."""
        found = self._models.get(key)
        if found is None:
            return None
        if self.clock() - found[1] > self.idle_s:
            del self._models[key]
            return None
        return found[0]

    def steer(self, conversation: Conversation, plan: Plan) -> Plan:
        """`plan` with the conversation's model first (unchanged for a first turn, a new
        conversation, or one whose model has left the catalog)."""
        current = self.model_of(conversation.key) if conversation.continued else None
        if current is None or (plan.primary is not None and plan.primary.id == current):
            return plan
        try:
            model = self.neoclone.model(current)
        except UnknownModelError:
            del self._models[conversation.key]
            return plan
        others = tuple(m for m in plan.models if m.id != current)
        reason = f"{current} first: it served this conversation"
        return Plan(models=(model, *others), reasons=(*plan.reasons, reason))

    def served(self, conversation: Conversation, model_id: str | None) -> str | None:
        """Record that `model_id` served a turn of `conversation`; the model the
        conversation moved from, if a continued one moved."""
        if model_id is None:
            return None
        key = conversation.key
        before = self.model_of(key) if conversation.continued else None
        last_resort = self.neoclone.last_resort
        if last_resort is None or model_id != last_resort.id:
            self._models[key] = (model_id, self.clock())
            self._models.move_to_end(key)
            while len(self._models) > self.max_conversations:
                self._models.popitem(last=False)
        return before if before not in (None, model_id) else None


def moved_headers(moved_from: str | None) -> dict[str, str]:
    """The response header naming the model a conversation moved from, if it moved."""
    return {} if moved_from is None else {MOVED_HEADER: moved_from}
