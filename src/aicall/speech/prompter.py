"""Prompts as audio: a template and a contact's values in, an `Audio` to play out.

The fixed parts of a template are the same on every call of a campaign, so they are
synthesised once per (engine, voice, speed, text) and kept in the `AudioCache`; each call
then synthesises only its personalised parts (a name, an amount) and stitches the clips
together with short silences. Personalised clips are never written to disk: they are
personal data, and rarely repeat.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

from aicall.interpreter.script import FieldSpec
from aicall.media import Audio
from aicall.speech.cache import AudioCache
from aicall.speech.dialect import Dialect, parse_dialect
from aicall.speech.pcm import join_pcm, silence, trim_silence
from aicall.speech.template import FixedText, SpokenPart, fill_segments, split_template
from aicall.speech.timing import estimate_duration
from aicall.speech.tts import TtsEngine
from aicall.speech.wav import pcm_to_wav_bytes, wav_bytes_to_pcm8k

__all__ = ["Prompter", "pcm_to_wav_bytes", "wav_bytes_to_pcm8k"]

_WORD = re.compile(r"\w")
_SENTENCE_END = re.compile(r"[.!?;:…]")
JOIN_GAP = 0.12  # seconds between two stitched clips: a breath, not a hole
SENTENCE_PAUSE = 0.35  # extra silence for a full stop that stands alone between placeholders


class Prompter:
    """Renders the prompts of one scenario (its fields, dialect, voice and speed)."""

    def __init__(
        self,
        fields: Sequence[FieldSpec],
        *,
        dialect: str | Dialect = Dialect.NORTH,
        engine: TtsEngine | None = None,
        voice: str = "",
        speed: float = 1.0,
        cache: AudioCache | None = None,
    ) -> None:
        if speed <= 0:
            raise ValueError(f"speed must be positive, not {speed}")
        self.fields = tuple(fields)
        self.dialect = parse_dialect(dialect)
        self.engine = engine
        self.voice = voice
        self.speed = speed
        # Without a cache of its own the prompter still synthesises each fixed part only once.
        self.cache = cache if cache is not None else AudioCache(None)
        self._pending: dict[str, asyncio.Future[bytes]] = {}

    def text(self, template: str, values: Mapping[str, str]) -> str:
        """The words of the prompt (`TemplateError`/`ReadingError` when a value is missing or bad)."""
        return _spoken_text(fill_segments(template, self.fields, values, self.dialect))

    async def render(self, template: str, values: Mapping[str, str]) -> Audio:
        """The prompt as `Audio`: with PCM when there is an engine, else text and an estimated duration."""
        parts = fill_segments(template, self.fields, values, self.dialect)
        text = _spoken_text(parts)
        if self.engine is None:
            return Audio(text=text, duration=estimate_duration(text, self.speed))
        clips: list[bytes] = []
        personal: dict[str, bytes] = {}  # a name said twice in one prompt is synthesised once
        for part in parts:
            words = " ".join(part.text.split())
            if not _WORD.search(words):
                if _SENTENCE_END.search(words):
                    clips.append(silence(SENTENCE_PAUSE))
                continue
            if part.personal:
                if words not in personal:
                    personal[words] = trim_silence(await self._synthesize(words))
                clips.append(personal[words])
            else:
                clips.append(await self._fixed_clip(words))
        return Audio.from_pcm(text, join_pcm(clips, gap_seconds=JOIN_GAP))

    async def render_file(self, template: str, values: Mapping[str, str]) -> tuple[Audio, Path]:
        """Render and write the whole prompt as a WAV file in the cache directory (for previews)."""
        if self.engine is None:
            raise ValueError("render_file needs a TTS engine: there is no audio to write without one")
        if self.cache.directory is None:
            raise ValueError("render_file needs an AudioCache with a directory to write the file into")
        audio = await self.render(template, values)
        assert audio.pcm is not None  # an engine always yields samples
        key = AudioCache.key(
            kind="prompt", engine=self.engine.name, voice=self.voice, speed=self.speed, text=audio.text
        )
        path = self.cache.put(key, audio.pcm)
        assert path is not None  # the cache has a directory (checked above)
        return audio, path

    async def warm(self, template: str) -> int:
        """Synthesise the fixed parts of `template` ahead of the first call; how many were new."""
        if self.engine is None:
            return 0
        new = 0
        for segment in split_template(template):
            words = " ".join(segment.text.split()) if isinstance(segment, FixedText) else ""
            if _WORD.search(words):
                new += self._key(words) not in self.cache
                await self._fixed_clip(words)
        return new

    async def _fixed_clip(self, words: str) -> bytes:
        key = self._key(words)
        cached = self.cache.get(key)
        if cached is not None:
            return cached
        # Single flight: calls that start together share one synthesis of the same part.
        pending = self._pending.get(key)
        if pending is None:
            pending = asyncio.ensure_future(self._synthesize_and_store(key, words))
            self._pending[key] = pending
            pending.add_done_callback(lambda _: self._pending.pop(key, None))
        # shield: one caller hanging up must not cancel the synthesis the others wait for
        return await asyncio.shield(pending)

    async def _synthesize_and_store(self, key: str, words: str) -> bytes:
        clip = trim_silence(await self._synthesize(words))
        self.cache.put(key, clip)
        return clip

    async def _synthesize(self, words: str) -> bytes:
        assert self.engine is not None
        return await self.engine.synthesize(words, voice=self.voice, speed=self.speed)

    def _key(self, words: str) -> str:
        assert self.engine is not None
        return AudioCache.key(engine=self.engine.name, voice=self.voice, speed=self.speed, text=words)


def _spoken_text(parts: Sequence[SpokenPart]) -> str:
    return " ".join("".join(part.text for part in parts).split())
