"""`BlockingNeoclone`: `Neoclone` for synchronous programs, through an anyio portal."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from neoclone_core.config import Settings
from neoclone_core.discover.catalog import ProviderScan
from neoclone_core.facade import Neoclone
from neoclone_core.models import ChatRequest, ChatResponse, ModelInfo, Route
from neoclone_core.select.plan import Recommendation


class BlockingNeoclone:
    """`Neoclone` for synchronous host apps: the same methods, blocking.

    Runs an event loop in a worker thread (an anyio blocking portal); use it as a context
    manager, or call `close()`. `neoclone` is the instance itself, for what is not
    wrapped here .
    """

    def __init__(self, settings: Settings | None = None, **kwargs: Any) -> None:
        import anyio.from_thread

        self._portal_cm = anyio.from_thread.start_blocking_portal()
        self._portal = self._portal_cm.__enter__()
        self.neoclone: Neoclone = self._portal.call(lambda: _build(settings, kwargs))

    def __enter__(self) -> BlockingNeoclone:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the instance and stop the portal's thread."""
        self._portal.call(self.neoclone.aclose)
        self._portal_cm.__exit__(None, None, None)

    def initialize(self) -> list[ProviderScan]:
        """See `Neoclone.initialize`."""
        return self._portal.call(self.neoclone.initialize)

    def discover(self, *, refresh: bool = False) -> list[ProviderScan]:
        """See `Neoclone.discover`."""
        return self._portal.call(lambda: self.neoclone.discover(refresh=refresh))

    def models(self, **filters: Any) -> list[ModelInfo]:
        """See `Neoclone.models`."""
        return self.neoclone.models(**filters)

    def recommend(self, text: str, max_results: int = 5) -> list[Recommendation]:
        """See `Neoclone.recommend`."""
        return self._portal.call(self.neoclone.recommend, text, max_results)

    def chat(
        self, request: str | ChatRequest | Mapping[str, Any], *, models: Sequence[str] = ()
    ) -> tuple[ChatResponse, Route]:
        """See `Neoclone.chat`."""
        return self._portal.call(lambda: self.neoclone.chat(request, models=models))


async def _build(settings: Settings | None, kwargs: Mapping[str, Any]) -> Neoclone:
    return Neoclone(settings, **kwargs)
