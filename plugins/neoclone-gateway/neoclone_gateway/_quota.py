"""What is left of the free-tier quota of the pool a client is using (the models of its
request's plan whose limits are known), as the `x-ratelimit-*` headers OpenAI, Groq
and Cerebras send: a client that already reads them from one provider reads them from
the gateway unchanged, and slows down before it is refused.

    x-ratelimit-limit-requests: 40        the pool's requests in its tightest windows
    x-ratelimit-remaining-requests: 12    what is left of them
    x-ratelimit-reset-requests: 42s       when the first spent window gives room back

and the same for tokens where token limits are known. No header is sent for a unit no
model of the plan has a known limit of (an unknown limit is not an endless one).
"""

from __future__ import annotations

import math

from neoclone_core import Neoclone, Plan

_UNITS = ("requests", "tokens")


def quota_headers(neoclone: Neoclone, plan: Plan) -> dict[str, str]:
    """The `x-ratelimit-*` headers of `plan`'s pool, read from the ledger now."""
    left = neoclone.quota_left(plan)
    now = neoclone.clock()
    headers: dict[str, str] = {}
    for unit, known in zip(_UNITS, (left.requests, left.tokens), strict=True):
        if known is None:
            continue
        headers[f"x-ratelimit-limit-{unit}"] = str(known.limit)
        headers[f"x-ratelimit-remaining-{unit}"] = str(known.left)
        if known.resets_at is not None:
            headers[f"x-ratelimit-reset-{unit}"] = f"{max(math.ceil(known.resets_at - now), 0)}s"
    return headers
