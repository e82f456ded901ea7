"""Reading what a provider said in an error body, whatever its shape.

Providers answer errors as `{"error": {"message"}}`, `{"error": "text"}`,
`{"message"}`, `{"detail"}`, a list around one of those (Gemini's compatible endpoint),
or an HTML page from a proxy. These functions get the gist out of any of them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any


def loads_or_none(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None


def error_object(document: object) -> Mapping[str, Any]:
    """The mapping holding the error fields (Gemini's compat endpoint wraps it in a list)."""
    if isinstance(document, list) and document:
        document = document[0]
    return document if isinstance(document, Mapping) else {}


def upstream_message(document: object, body: bytes) -> str:
    """The provider's own words, from `{"error": {"message"}}`, `{"error": "text"}`,
    `{"message"}` or `{"detail"}`, else the body as plain text."""
    fields = error_object(document)
    error = fields.get("error")
    if isinstance(error, Mapping):
        message = as_text(error.get("message")) or as_text(error.get("code"))
        raw = _raw_upstream(error)
        return f"{message} (upstream: {raw})" if raw and raw not in message else message
    for key in ("error", "message", "detail"):
        if message := as_text(fields.get(key)):
            return message
    return plain_text(body)


def _raw_upstream(error: Mapping[str, Any]) -> str:
    """OpenRouter's `metadata.raw`: the error of the provider it routed to, which often
    says more ("context length exceeded") than its own "Provider returned error"."""
    metadata = error.get("metadata")
    return as_text(metadata.get("raw")) if isinstance(metadata, Mapping) else ""


def as_text(value: object) -> str:
    if value is None or isinstance(value, bool):
        return ""
    if isinstance(value, (str, int, float)):
        return str(value).strip()
    return json.dumps(value, separators=(",", ":"), default=str)


def looks_like_html(body: bytes) -> bool:
    head = body[:512].lstrip().lower()
    return head.startswith((b"<!doctype", b"<html")) or b"<html" in head


def plain_text(body: bytes) -> str:
    """A body as one line of text: an HTML page's title, or its text without tags."""
    text = body.decode("utf-8", errors="replace")
    if looks_like_html(body):
        title = re.search(r"(?is)<title[^>]*>(.*?)</title>", text)
        text = title.group(1) if title else re.sub(r"(?s)<[^>]*>", " ", text)
    return " ".join(text.split())


def truncate(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 3] + "..."
