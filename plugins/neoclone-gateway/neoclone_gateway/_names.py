"""What a client's `model` field names, and the plan it runs.

- a catalog id (`openrouter/meta-llama/llama-3.3-70b-instruct:free`): that model, then
  any listed in the body's `models` (OpenRouter's fallback extension);
- `neoclone/auto`: the plan neoclone makes for the request's task;
- `neoclone/auto-<capability>` (`auto-code`, `auto-vision`, ...): the same, with that
  capability required of every model;
- a session's name: the session's models in order (sessions are named plans, see
  `neoclone serve --session`).

Every plan ends with the local model unless the config opts out (`Neoclone.plan_for`).
"""

from __future__ import annotations

import attrs

from neoclone_core import Capability, Neoclone, Plan, Route
from neoclone_core.errors import NoModelAvailableError, UnknownModelError, UnknownSessionError
from neoclone_gateway._body import ChatBody
from neoclone_gateway._errors import GatewayError

AUTO = "neoclone/auto"
AUTO_CAPABILITIES = (Capability.CODE, Capability.REASONING, Capability.VISION, Capability.TOOLS)
OWNER = "neoclone"


def aliases() -> list[str]:
    """Every routing alias, as `/v1/models` lists them."""
    return [AUTO, *(f"{AUTO}-{c.value}" for c in AUTO_CAPABILITIES)]


def resolve(neoclone: Neoclone, body: ChatBody) -> tuple[Plan, str]:
    """The plan for `body` and the session it runs in ("" for none); GatewayError 404
    for a name that is none of the above, 503 when no model of the catalog fits."""
    name = body.model
    if name == AUTO or name.startswith(AUTO + "-"):
        _no_fallbacks(body)
        return _auto_plan(neoclone, body, name), ""
    if name in neoclone.sessions:
        _no_fallbacks(body)
        return neoclone.plan_for(body.request, session=name), name
    try:
        return neoclone.plan_for(body.request, (name, *body.fallbacks)), ""
    except (UnknownModelError, UnknownSessionError) as exc:
        raise GatewayError(404, str(exc), param="model", code="model_not_found") from None


def _auto_plan(neoclone: Neoclone, body: ChatBody, name: str) -> Plan:
    required: set[Capability] = set()
    if name != AUTO:
        wanted = name.removeprefix(AUTO + "-")
        if wanted not in {c.value for c in AUTO_CAPABILITIES}:
            msg = f"unknown model {name!r}; the routing aliases are {', '.join(aliases())}"
            raise GatewayError(404, msg, param="model", code="model_not_found")
        required.add(Capability(wanted))
    if body.request.params.get("tools"):
        required.add(Capability.TOOLS)  # a model that cannot call tools would ignore them
    profile = neoclone.analyse(body.request.text)
    if required:
        # The alias names a capability every model must have: only those are ranked.
        profile = attrs.evolve(profile, required=profile.required | required)
        capable = [s for s in neoclone.rank(profile) if required <= s.model.capabilities]
        plan = neoclone.plan_for(body.request, profile=profile, ranked=capable)
    else:
        plan = neoclone.plan_for(body.request, profile=profile)
    if not plan.models:
        msg = f"no model of the catalog can serve {name} for this request"
        raise NoModelAvailableError(msg, Route())
    return plan


def _no_fallbacks(body: ChatBody) -> None:
    if body.fallbacks:
        msg = "'models' may only follow a catalog id, not a routing alias or session"
        raise GatewayError(400, msg, param="models")
