"""How a neoclone ChatRequest becomes llama.cpp's arguments."""

from __future__ import annotations

from neoclone_provider_local._runtime import chat_options, plain_messages

from neoclone_core import ChatRequest


def test_limits_and_shared_sampling_parameters_are_passed_on() -> None:
    request = ChatRequest.from_prompt(
        "hi",
        max_tokens=8,
        temperature=0.3,
        params={"top_p": 0.9, "stop": ["\n"], "seed": 7, "tools": [{"type": "function"}]},
    )
    assert chat_options(request) == {
        "max_tokens": 8,
        "temperature": 0.3,
        "top_p": 0.9,
        "stop": ["\n"],
        "seed": 7,
    }


def test_unset_limits_are_left_to_llama_cpp() -> None:
    assert chat_options(ChatRequest.from_prompt("hi")) == {}


def test_content_parts_become_plain_text_for_the_chat_template() -> None:
    request = ChatRequest(
        messages=[
            {"role": "system", "content": "Be brief."},
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is "},
                    {"type": "image_url", "image_url": {"url": "data:..."}},
                    {"type": "text", "text": "this?"},
                ],
            },
            {"role": "assistant", "content": None},
        ]
    )
    assert plain_messages(request) == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "What is this?"},
        {"role": "assistant", "content": ""},
    ]
