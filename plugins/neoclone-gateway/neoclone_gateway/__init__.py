"""The gateway: every OpenAI or Anthropic client gets neoclone's free models with fallback
by changing its base URL (OpenAI's chat completions and Responses, Anthropic's Messages).

`neoclone serve` runs it (this plugin adds the command); `create_app(neoclone)` gives the
ASGI app itself, to mount in another application or to test in process. The names below
are imported on first use: loading the plugin (which every `Neoclone` does) must not
import Starlette or the Prometheus client.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from neoclone_gateway._app import create_app
    from neoclone_gateway._options import KEY_ENV, GatewayOptions, check_bind, is_loopback

__all__ = ["KEY_ENV", "GatewayOptions", "check_bind", "create_app", "is_loopback"]
_HOMES = {
    "create_app": "neoclone_gateway._app",
    "KEY_ENV": "neoclone_gateway._options",
    "GatewayOptions": "neoclone_gateway._options",
    "check_bind": "neoclone_gateway._options",
    "is_loopback": "neoclone_gateway._options",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        msg = f"module 'neoclone_gateway' has no attribute {name!r}"
        raise AttributeError(msg)
    return getattr(importlib.import_module(_HOMES[name]), name)
