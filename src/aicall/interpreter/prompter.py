"""How the interpreter turns a prompt template and a contact's values into audio.

The speech layer provides the real `Prompter` (Vietnamese reading of each tag by its reading
type, then TTS). `TextPrompter` is the stand-in for tests and load tests of the simulator: it
fills the tags with the raw values and estimates the speaking time, so no audio is synthesised.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Protocol

from aicall.media import Audio

__all__ = ["InterpreterError", "PromptRenderError", "Prompter", "TextPrompter", "fill_template"]

SECONDS_PER_CHARACTER = 0.06  # ~16 characters a second: an unhurried Vietnamese speaking pace

# The speech layer's placeholder syntax: anything but braces, spaces inside the braces ignored.
_TAG = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")


class InterpreterError(Exception):
    """Base of the interpreter's own errors."""


class PromptRenderError(InterpreterError):
    """A prompt could not be turned into audio (a missing or unreadable value, a TTS fault)."""


class Prompter(Protocol):
    """Renders one prompt. A real one is bound to a script's fields, voice, speed and dialect."""

    async def render(self, template: str, values: Mapping[str, str]) -> Audio: ...


def fill_template(template: str, values: Mapping[str, str]) -> str:
    """Replace each `{{key}}` with its raw value; a tag without a value is an error, not a blank.

    Values are looked up by the exact text between the braces (no key-form matching: that is
    the speech layer's job).
    """

    def value_of(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in values:
            raise PromptRenderError(f"no value for {{{{{key}}}}}")
        return str(values[key])

    return _TAG.sub(value_of, template)


class TextPrompter:
    """A `Prompter` that speaks the raw values: `Audio(text, duration=len(text) * 0.06)`, no PCM."""

    def __init__(self, *, seconds_per_character: float = SECONDS_PER_CHARACTER) -> None:
        self.seconds_per_character = seconds_per_character
        self.rendered: list[str] = []  # every text rendered, in order: handy in tests

    async def render(self, template: str, values: Mapping[str, str]) -> Audio:
        text = fill_template(template, values)
        self.rendered.append(text)
        return Audio(text=text, duration=len(text) * self.seconds_per_character)
