"""The speech layer's one exception hierarchy.

Every error is a `SpeechError`; those caused by bad input are also `ValueError`s so callers
that only know the standard library still catch them.
"""

from __future__ import annotations

__all__ = [
    "AudioFormatError",
    "ReadingError",
    "SpeechError",
    "TemplateError",
    "TtsAuthError",
    "TtsError",
    "TtsQuotaError",
    "TtsTimeoutError",
    "UnknownDialectError",
    "UnknownReadingTypeError",
    "UnknownVoiceError",
]


class SpeechError(Exception):
    """Base of every error raised by `aicall.speech`."""


class ReadingError(SpeechError, ValueError):
    """A value cannot be read aloud with its reading type; the message says what is wrong.

    `field` names the personalised field when the value came from a template.
    """

    def __init__(self, message: str, *, value: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.value = value
        self.field = field


class UnknownReadingTypeError(SpeechError, ValueError):
    """A field declares a reading type this layer does not know."""


class UnknownDialectError(SpeechError, ValueError):
    """A dialect other than `north` or `south`."""


class TemplateError(SpeechError, ValueError):
    """A prompt template cannot be filled in (a value is missing, a placeholder is unknown)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class UnknownVoiceError(SpeechError, ValueError):
    """A voice code no engine here can speak with."""


class TtsError(SpeechError, RuntimeError):
    """A text-to-speech engine failed (process error, HTTP error, time-out)."""


class TtsAuthError(TtsError):
    """A TTS vendor refused the credentials (wrong app id, token or API key; an expired token)."""


class TtsQuotaError(TtsError):
    """A TTS vendor refused the request for the account's quota or rate limit."""


class TtsTimeoutError(TtsError):
    """A synthesis did not finish in time (an asynchronous request whose audio never came)."""


class AudioFormatError(SpeechError, ValueError):
    """Bytes that are not a WAV file this layer can convert (not RIFF/PCM, not 16-bit...)."""
