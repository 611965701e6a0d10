r"""Prompt templates: how an (already wrapped) observation becomes the text the policy reads.

Picked once by name (``--prompt_template``). Templates add an instruction around the observation;
the ``concat_chat`` wrapper renders chat itself, so use ``no`` with it.
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = ["INVALID_ACTION", "TEMPLATES", "get_template"]

#: Sent to the env in place of a response that was cut off or never generated (prompt too long).
#: It holds no ``\boxed{}``, so every task scores it as a format error.
INVALID_ACTION = "[invalid action: the response was cut off]"


def _qwen3_game(observation: str) -> str:
    return (
        "<|im_start|>user\nYou are playing a text game; make valid moves to win.\n"
        f"Observation: {observation}\n"
        "Think step by step, then give your move within \\boxed{}.<|im_end|>\n"
        "<|im_start|>assistant\n"
    )


def _qwen3_general(question: str) -> str:
    return (
        f"<|im_start|>user\nQuestion: {question}\n"
        "Think step by step, then give your final answer within \\boxed{}.<|im_end|>\n"
        "<|im_start|>assistant\n"
    )


def _code(question: str) -> str:
    return (
        "You are an expert Python programmer. Write a program that meets the specification "
        f"below and passes its tests.\nQuestion: {question}\n"
        "Think step by step, then give your program in a ```python``` code block."
    )


def _no_template(observation: str) -> str:
    return observation


#: Template name -> function of the observation text.
TEMPLATES: dict[str, Callable[[str], str]] = {
    "qwen3_game": _qwen3_game,
    "qwen3_general": _qwen3_general,
    "code": _code,
    "no": _no_template,
}


def get_template(name: str) -> Callable[[str], str]:
    """The template called ``name``; ValueError lists the known ones."""
    try:
        return TEMPLATES[name]
    except KeyError:
        raise ValueError(
            f"unknown prompt template {name!r}; choose one of {sorted(TEMPLATES)}"
        ) from None
