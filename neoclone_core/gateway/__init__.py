"""The OpenAI-compatible gateway: every OpenAI client gets neoclone's free models with
fallback by changing its base URL.

`neoclone serve` runs it; `create_app(neoclone)` gives the ASGI app itself, to mount in
another application or to test in process. Importing this package imports Starlette
and the Prometheus client, which `import neoclone_core` never does.
"""

from neoclone_core.gateway._app import create_app
from neoclone_core.gateway._options import KEY_ENV, GatewayOptions, check_bind, is_loopback

__all__ = ["KEY_ENV", "GatewayOptions", "check_bind", "create_app", "is_loopback"]
