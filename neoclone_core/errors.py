"""The exceptions neoclone raises, and what each means for fallback.

The tree::

    NeocloneError
    ├── ConfigError (ValueError)           the config file or an option is wrong
    ├── PluginError (TypeError)            a plugin registered or returned something invalid
    ├── StoreError                         the embedded or shared store cannot be used
    ├── UnknownModelError (LookupError)    no model in the catalog has that id
    ├── UnknownSessionError (LookupError)  no session has that name
    ├── NoModelAvailableError              every model of a plan failed; carries the route
    └── ProviderError                      a provider could not serve a call
        ├── TransientError                 worth trying again later or elsewhere now
        │   ├── RateLimitedError           429 and friends; `retry_after` in seconds if known
        │   ├── ProviderUnavailableError   5xx, reset, broken connection
        │   │   ├── ProviderUnreachableError  connection refused, name not resolved
        │   │   └── ProviderTimeoutError   no answer in time
        │   ├── MalformedResponseError     HTML page, broken JSON, empty choices, error in a 200
        │   └── StreamInterruptedError     a started stream broke or carried an error
        └── PermanentError                 trying the same call again cannot help
            ├── MissingAPIKeyError         the provider needs a key that is not set
            ├── AuthenticationError        the key was refused
            ├── ModelNotFoundError         the provider does not know the model (any more)
            ├── ContextTooLongError        the input does not fit the model's context
            └── BadRequestError            any other client error: the caller's to fix

Fallback strategies decide on these classes, never on message text. Messages never
contain API keys: providers build them from status codes and upstream error text that
the core scrubs of anything that looks like a credential.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from neoclone_core.models import QuotaReading, Route


class NeocloneError(Exception):
    """The base of every error neoclone raises on purpose."""


class ConfigError(NeocloneError, ValueError):
    """The configuration is invalid; the message names the file and the key."""


class PluginError(NeocloneError, TypeError):
    """A plugin registered an invalid object or returned a value of the wrong shape."""


class StoreError(NeocloneError):
    """The store cannot be opened or written, even after recovery was tried."""


class UnknownModelError(NeocloneError, LookupError):
    """No model in the catalog has the requested id."""

    def __str__(self) -> str:
        # LookupError would quote the message like a dict key; print it plainly instead.
        return str(self.args[0]) if self.args else ""


class UnknownSessionError(NeocloneError, LookupError):
    """No session has the requested name."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class NoModelAvailableError(NeocloneError):
    """Every model of the plan failed or was skipped; `route` lists each attempt."""

    def __init__(self, message: str, route: Route) -> None:
        super().__init__(message)
        self.route = route


class ProviderError(NeocloneError):
    """A provider could not serve a call.

    `provider` and `model` name where it happened (either may be empty for errors
    raised before a model was chosen); `status` is the HTTP status when there was one.
    `quota` is what the error response said was left of the provider's quota (a 429's
    `x-ratelimit-*` headers), set by whoever read the response.
    """

    kind = "provider_error"
    quota: QuotaReading | None = None

    def __init__(
        self,
        message: str,
        *,
        provider: str = "",
        model: str = "",
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.provider = provider
        self.model = model
        self.status = status


class TransientError(ProviderError):
    """The same call may succeed later, or another model may serve it now."""

    kind = "transient"


class RateLimitedError(TransientError):
    """The provider asked us to slow down; `retry_after` is its wait in seconds, if it gave one."""

    kind = "rate_limited"

    def __init__(
        self,
        message: str,
        *,
        provider: str = "",
        model: str = "",
        status: int | None = 429,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, provider=provider, model=model, status=status)
        self.retry_after = retry_after


class ProviderUnavailableError(TransientError):
    """The provider is down or unreachable (5xx, connection refused, reset)."""

    kind = "unavailable"


class ProviderUnreachableError(ProviderUnavailableError):
    """No connection could be made to the provider's host (refused, name not resolved):
    unlike a 5xx or a reset, this holds for every model the provider serves, so the
    default fallback strategy cools the whole provider down for a short while. `host` is
    the host that could not be reached ("" when unknown)."""

    def __init__(
        self, message: str, *, provider: str = "", model: str = "", host: str = ""
    ) -> None:
        super().__init__(message, provider=provider, model=model)
        self.host = host

    @property
    def on_this_machine(self) -> bool:
        """Whether the host is this machine's (a local Ollama, say): other instances
        sharing state reach their own, so what this one saw is not theirs."""
        return self.host in ("localhost", "::1") or self.host.startswith("127.")


class ProviderTimeoutError(ProviderUnavailableError):
    """The provider did not answer within the timeout."""

    kind = "timeout"


class MalformedResponseError(TransientError):
    """The provider answered with something that is not a valid response."""

    kind = "malformed_response"


class StreamInterruptedError(TransientError):
    """A stream that had started broke off or carried an error event."""

    kind = "stream_interrupted"


class PermanentError(ProviderError):
    """Repeating the same call cannot succeed."""

    kind = "permanent"


class MissingAPIKeyError(PermanentError):
    """The provider needs an API key and none is set; `env_var` names where to set it."""

    kind = "missing_api_key"

    def __init__(self, message: str, *, provider: str = "", env_var: str = "") -> None:
        super().__init__(message, provider=provider)
        self.env_var = env_var


class AuthenticationError(PermanentError):
    """The provider refused the API key (401/403)."""

    kind = "authentication"


class ModelNotFoundError(PermanentError):
    """The provider does not know the model."""

    kind = "model_not_found"


class ContextTooLongError(PermanentError):
    """The request does not fit the model's context window."""

    kind = "context_too_long"


class BadRequestError(PermanentError):
    """The request itself is invalid; another model would refuse it too."""

    kind = "bad_request"
