"""espeak-ng: the offline default voice (Debian package `espeak-ng`), robotic but always there."""

from __future__ import annotations

import asyncio
import os

from aicall.speech.errors import AudioFormatError, TtsError
from aicall.speech.resample import convert_to_telephone_pcm, find_resampler
from aicall.speech.tools import run_tool
from aicall.speech.wav import parse_wav

__all__ = ["DEFAULT_WORDS_PER_MINUTE", "EspeakEngine"]

DEFAULT_WORDS_PER_MINUTE = 175  # espeak-ng's own default; speed 1.0 maps here
_MIN_WPM, _MAX_WPM = 80, 450  # espeak-ng's accepted range


class EspeakEngine:
    """Runs `espeak-ng -v VOICE -s WPM --stdin --stdout` and brings its 22 050 Hz WAV to 8 kHz.

    The text goes through stdin, never argv: a value starting with "-" must not become an
    option, and long prompts must not hit argument limits.
    """

    name = "espeak"

    def __init__(
        self,
        *,
        binary: str = "espeak-ng",
        resampler: str = "auto",
        max_concurrency: int | None = None,
        timeout: float = 30.0,
    ) -> None:
        self.binary = binary
        self.timeout = timeout
        self._sox = find_resampler(resampler)
        # Each synthesis is a CPU-bound child process: more at once than cores only queues.
        self._slots = asyncio.Semaphore(max_concurrency or os.cpu_count() or 2)

    @property
    def resampler(self) -> str:
        return "sox" if self._sox else "python"

    async def synthesize(self, text: str, *, voice: str = "vi", speed: float = 1.0) -> bytes:
        """8 kHz mono s16le PCM of `text` spoken by espeak-ng voice `voice`."""
        if speed <= 0:
            raise ValueError(f"speed must be positive, not {speed}")
        wpm = min(_MAX_WPM, max(_MIN_WPM, round(DEFAULT_WORDS_PER_MINUTE * speed)))
        args = [self.binary, "-v", voice, "-s", str(wpm), "-b", "1", "--stdin", "--stdout"]
        async with self._slots:
            output = await run_tool(args, text.encode(), timeout=self.timeout)
            try:
                wav = parse_wav(output)
            except AudioFormatError as exc:
                raise TtsError(f"espeak-ng gave no usable audio for voice {voice!r}: {exc}") from exc
            return await convert_to_telephone_pcm(wav.pcm, wav.rate, wav.channels, sox=self._sox)
