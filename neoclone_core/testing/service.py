"""`StartStop`: a test server or process used as a context manager, started on entry
and stopped on exit, whatever the block raised."""

from __future__ import annotations

from types import TracebackType
from typing import TypeVar

S = TypeVar("S", bound="StartStop")


class StartStop:
    """Subclasses implement `start()` (returning the started object) and `stop()`."""

    def start(self: S) -> S:
        """Start, and return the object started."""
        raise NotImplementedError

    def stop(self) -> None:
        """Stop; stopping what is not running does nothing."""
        raise NotImplementedError

    def __enter__(self: S) -> S:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()
