"""The User-Agent of neoclone's shared HTTP client: `neoclone/<version>`.

Some providers sit behind web firewalls that refuse generic library agents (opencode.ai
answered Python-urllib with a 403, NousResearch/hermes-agent#2651); an honest product
name and version is what well-behaved clients send, and it tells a provider's logs who
called.
"""

from __future__ import annotations

import functools

import importlib_metadata

__all__ = ["user_agent"]

DISTRIBUTION = "neoclone"


@functools.cache
def user_agent() -> str:
    """`neoclone/<installed version>`, or plain `neoclone` when the distribution is not
    installed (a source tree on `sys.path`). Read once, when first asked for."""
    try:
        version = importlib_metadata.version(DISTRIBUTION)
    except importlib_metadata.PackageNotFoundError:
        return DISTRIBUTION
    return f"{DISTRIBUTION}/{version}"
