"""Reading a GGUF file's metadata header, without llama.cpp and without loading weights.

Discovery has to describe every configured model (context length, chat template, name)
on each scan. Loading a model through llama.cpp for that would cost seconds and memory
per file; the header alone is a few hundred kilobytes at the start of the file, so a
small reader over a memory map answers in milliseconds and works even when llama.cpp
is not installed. Large arrays (the tokenizer's vocabulary) are skipped, not decoded.

Format: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md (versions 2 and 3).
"""

from __future__ import annotations

import mmap
import struct
from pathlib import Path
from typing import Any

__all__ = ["GGUFError", "read_metadata"]

_MAGIC = b"GGUF"
_SUPPORTED_VERSIONS = (2, 3)
_ARRAY = 9
_STRING = 8
_BOOL = 7
# Arrays longer than this are skipped: metadata worth reading (tags, languages) is short.
_MAX_ARRAY_ITEMS = 64

# Fixed-size value types: type id -> struct format (little-endian).
_SCALARS: dict[int, str] = {
    0: "<B",
    1: "<b",
    2: "<H",
    3: "<h",
    4: "<I",
    5: "<i",
    6: "<f",
    _BOOL: "<?",
    10: "<Q",
    11: "<q",
    12: "<d",
}


class GGUFError(ValueError):
    """The file is not a GGUF file this reader understands; the message says why."""


def read_metadata(path: Path) -> dict[str, Any]:
    """Every metadata key of the GGUF file at `path` with its value.

    Scalars and strings are decoded; arrays of at most 64 items become lists, longer
    ones are skipped (absent from the result). Raises `OSError` when the file cannot be
    read and `GGUFError` when it is not a readable GGUF file.
    """
    with path.open("rb") as file:
        try:
            mapped = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
        except ValueError as exc:  # an empty file cannot be mapped
            msg = f"{path}: not a GGUF file (empty)"
            raise GGUFError(msg) from exc
    with mapped:
        try:
            return _Reader(mapped).metadata()
        except (struct.error, IndexError, UnicodeDecodeError) as exc:
            msg = f"{path}: truncated or corrupt GGUF header ({exc})"
            raise GGUFError(msg) from exc
        except GGUFError as exc:
            msg = f"{path}: {exc}"
            raise GGUFError(msg) from exc


class _Reader:
    """A cursor over the mapped header; each method consumes what it reads."""

    def __init__(self, data: mmap.mmap) -> None:
        self.data = data
        self.pos = 0

    def metadata(self) -> dict[str, Any]:
        if self.data[:4] != _MAGIC:
            msg = "not a GGUF file (no GGUF magic number)"
            raise GGUFError(msg)
        self.pos = 4
        version = self.scalar("<I")
        if version not in _SUPPORTED_VERSIONS:
            msg = f"unsupported GGUF version {version} (this reader knows 2 and 3)"
            raise GGUFError(msg)
        self.scalar("<Q")  # tensor count: tensors are not read
        count = self.scalar("<Q")
        found: dict[str, Any] = {}
        for _ in range(count):
            key = self.string()
            value = self.value(self.scalar("<I"))
            if value is not _SKIPPED:
                found[key] = value
        return found

    def scalar(self, fmt: str) -> Any:
        (value,) = struct.unpack_from(fmt, self.data, self.pos)
        self.pos += struct.calcsize(fmt)
        return value

    def string(self) -> str:
        size = self.scalar("<Q")
        end = self.pos + size
        if end > len(self.data):
            msg = "string runs past the end of the file"
            raise IndexError(msg)
        text = bytes(self.data[self.pos : end]).decode("utf-8")
        self.pos = end
        return text

    def value(self, kind: int) -> Any:
        if kind in _SCALARS:
            return self.scalar(_SCALARS[kind])
        if kind == _STRING:
            return self.string()
        if kind == _ARRAY:
            return self.array()
        msg = f"unknown metadata value type {kind}"
        raise GGUFError(msg)

    def array(self) -> Any:
        kind = self.scalar("<I")
        count = self.scalar("<Q")
        if count <= _MAX_ARRAY_ITEMS:
            return [self.value(kind) for _ in range(count)]
        self.skip_items(kind, count)
        return _SKIPPED

    def skip_items(self, kind: int, count: int) -> None:
        if kind in _SCALARS:
            self.pos += struct.calcsize(_SCALARS[kind]) * count
        elif kind == _STRING:
            for _ in range(count):
                (size,) = struct.unpack_from("<Q", self.data, self.pos)
                self.pos += 8 + size
        else:  # arrays of arrays: rare, walk them item by item
            for _ in range(count):
                self.value(kind)
        if self.pos > len(self.data):
            msg = "array runs past the end of the file"
            raise IndexError(msg)


_SKIPPED: Any = object()
