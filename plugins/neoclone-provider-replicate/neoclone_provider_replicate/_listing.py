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

from collections.abc import Mapping
from typing import Any

from neoclone_core import Capability, ModelInfo, Pricing
from neoclone_core.provider_kit import (
    UnreadableEntryError,
    as_mapping,
    is_code_model,
    log_left_out,
    parse_model_list,
    stripped_str,
)

PROVIDER = "replicate"

_VISION_INPUTS = frozenset({"image", "images", "image_input", "image_url"})
_REASONING_INPUTS = frozenset({"reasoning_effort", "thinking_budget", "enable_thinking"})


def parse_collection(document: object) -> list[ModelInfo]:
    """The official models of a collection document, in its order.

    A document without a `models` list raises MalformedResponseError; entries without an
    owner or name are skipped with a `neoclone.model_skipped` warning naming their place.
    """
    return parse_model_list(
        document, PROVIDER, model_from_entry, key="models", what="collection", name_key=None
    )


def model_from_entry(entry: object) -> ModelInfo | None:
    """One collection entry as a ModelInfo; None when it is not official. Raises
    ValueError (UnreadableEntryError) for an entry without an owner or a name."""
    fields = as_mapping(entry)
    owner, name = stripped_str(fields.get("owner")), stripped_str(fields.get("name"))
    if not owner or not name:
        msg = "no name"
        raise UnreadableEntryError(msg)
    model_id = f"{owner}/{name}"
    if fields.get("is_official") is not True:
        log_left_out(PROVIDER, model_id, "not official")
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
    if is_code_model(model_id):
        found.add(Capability.CODE)
    return found


def _input_names(fields: Mapping[str, Any]) -> frozenset[str]:
    """The input names of the latest version's schema (none when it is not shown)."""
    schema = as_mapping(as_mapping(fields.get("latest_version")).get("openapi_schema"))
    schemas = as_mapping(as_mapping(schema.get("components")).get("schemas"))
    properties = as_mapping(as_mapping(schemas.get("Input")).get("properties"))
    return frozenset(name for name in properties if isinstance(name, str))
