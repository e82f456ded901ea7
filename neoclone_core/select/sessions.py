"""Named sessions: a plan fixed once (a primary model and its backups) that every request
of the session runs, so a conversation does not change models between turns."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import attrs

from neoclone_core.errors import UnknownSessionError


@attrs.frozen
class Session:
    """A named plan: the primary model first, then its backups, by catalog id."""

    name: str
    model_ids: tuple[str, ...]


class Sessions(Mapping[str, Session]):
    """The sessions of one `Neoclone`, by name, read-only but for `add` (they live in
    memory)."""

    def __init__(self) -> None:
        self.by_name: dict[str, Session] = {}

    def add(self, session: Session) -> Session:
        """Keep `session`, replacing any of the same name."""
        self.by_name[session.name] = session
        return session

    def named(self, name: str) -> Session:
        """The session called `name`; UnknownSessionError listing the known ones if none."""
        session = self.by_name.get(name)
        if session is None:
            known = ", ".join(sorted(self.by_name)) or "none"
            msg = f"unknown session {name!r} (sessions: {known})"
            raise UnknownSessionError(msg)
        return session

    def model_ids(self) -> set[str]:
        """Every model id some session names."""
        return {m for session in self.by_name.values() for m in session.model_ids}

    def __getitem__(self, name: str) -> Session:
        return self.by_name[name]

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self.by_name))

    def __len__(self) -> int:
        return len(self.by_name)
