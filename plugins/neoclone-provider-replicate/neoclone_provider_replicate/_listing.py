"""Replicate's language models, from its `language-models` collection.

`GET /v1/collections/language-models` lists the collection's models with their owner,
name, whether Replicate itself maintains them (`is_official`) and the input schema of
their latest version. Only official models are kept: they are the ones that run by
name (`POST /v1/models/{owner}/{name}/predictions`); a community model needs a version
id and cold-boots on demand. Nothing is free: Replicate bills every prediction (per
token for official language models) and the listing carries no prices, so prices are
unknown and `free` is False for every entry.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import structlog

from neoclone_core import Capability, ModelInfo, Pricing
from neoclone_core.errors import MalformedResponseError

PROVIDER = "replicate"
log = structlog.get_logger("neoclone")

_VISION_INPUTS = frozenset({"image", "images", "image_input", "image_url"})
_REASONING_INPUTS = frozenset({"reasoning_effort", "thinking_budget", "enable_thinking"})
_CODE_MODEL = re.compile(r"coder|codellama|codestral|devstral|\bcode\b", re.IGNORECASE)


def parse_collection(document: object) -> list[ModelInfo]:
    """The official models of a collection document, in its order.

    A document without a `models` list raises MalformedResponseError; entries without an
    owner or name are skipped with a `neoclone.model_skipped` warning.
    """
    listed = document.get("models") if isinstance(document, Mapping) else None
    if not isinstance(listed, list):
        msg = f"{PROVIDER}: malformed response: the collection has no 'models' list"
        raise MalformedResponseError(msg, provider=PROVIDER, status=200)
    models = []
    for index, entry in enumerate(listed):
        model = model_from_entry(entry, index)
        if model is not None:
            models.append(model)
    return models


def model_from_entry(entry: object, index: int = 0) -> ModelInfo | None:
    """One collection entry as a ModelInfo; None when it is unreadable or not official."""
    fields = entry if isinstance(entry, Mapping) else {}
    owner, name = _text(fields.get("owner")), _text(fields.get("name"))
    if not owner or not name:
        log.warning(
            "neoclone.model_skipped", provider=PROVIDER, entry=f"#{index}", reason="no name"
        )
        return None
    model_id = f"{owner}/{name}"
    if fields.get("is_official") is not True:
        log.debug(
            "neoclone.model_skipped", provider=PROVIDER, entry=model_id, reason="not official"
        )
        return None
    return ModelInfo(
        provider=PROVIDER,
        name=model_id,
        display_name=model_id,
        capabilities=_capabilities(model_id, _input_names(fields)),
        pricing=Pricing(),  # billed per token, but the listing says nothing of prices
        free=False,
    )


def _capabilities(model_id: str, inputs: frozenset[str]) -> set[Capability]:
    """Text for every language model; vision and reasoning when the input schema takes
    images or a reasoning setting; code by name. Not `streaming`: this provider hands
    the whole answer over as one chunk."""
    found = {Capability.TEXT}
    if inputs & _VISION_INPUTS:
        found.add(Capability.VISION)
    if inputs & _REASONING_INPUTS:
        found.add(Capability.REASONING)
    if _CODE_MODEL.search(model_id):
        found.add(Capability.CODE)
    return found


def _input_names(fields: Mapping[str, Any]) -> frozenset[str]:
    """The input names of the latest version's schema (none when it is not shown)."""
    schema = _mapping(_mapping(fields.get("latest_version")).get("openapi_schema"))
    schemas = _mapping(_mapping(schema.get("components")).get("schemas"))
    properties = _mapping(_mapping(schemas.get("Input")).get("properties"))
    return frozenset(name for name in properties if isinstance(name, str))


def _mapping(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""
