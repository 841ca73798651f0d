"""Prompts as audio: a template and a contact's values in, an `Audio` to play out.

The fixed parts of a template are the same on every call of a campaign, so they are
synthesised once per (engine, voice, speed, text) and kept in the `AudioCache`; each call
then synthesises only its personalised parts (a name, an amount) and stitches the clips
together with short silences. Personalised clips are never written to disk (they are
personal data); a small in-memory LRU keeps the ones that repeat across contacts, such as
a due date shared by a whole campaign.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable, Coroutine, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from aicall.interpreter.script import FieldSpec
from aicall.media import Audio
from aicall.observability import metrics
from aicall.speech.cache import AudioCache
from aicall.speech.dialect import Dialect, parse_dialect
from aicall.speech.errors import TtsError
from aicall.speech.pcm import join_pcm, silence, trim_silence
from aicall.speech.template import FixedText, SpokenPart, fill_segments, split_template
from aicall.speech.timing import estimate_duration
from aicall.speech.tts import TtsEngine
from aicall.speech.wav import pcm_to_wav_bytes, wav_bytes_to_pcm8k

__all__ = ["Prompter", "pcm_to_wav_bytes", "wav_bytes_to_pcm8k"]

log = logging.getLogger(__name__)

_WORD = re.compile(r"\w")
_SENTENCE_END = re.compile(r"[.!?;:…]")
JOIN_GAP = 0.12  # seconds between two stitched clips: a breath, not a hole
SENTENCE_PAUSE = 0.35  # for a full stop standing alone between two placeholders ("{{a}}. {{b}}")
STANDBY_COOLDOWN = 60.0  # seconds the standby voice keeps speaking after the engine failed


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
        personal_memory_bytes: int = 8 * 1024 * 1024,
        standby: tuple[TtsEngine, str] | None = None,
        clock: Callable[[], float] = time.monotonic,
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
        self.personal_cache = AudioCache(None, memory_bytes=personal_memory_bytes)  # never on disk
        self._flights = _SingleFlight()
        # Who speaks when `engine` fails (`speech.selection` chose it): a prompter of its own,
        # sharing the cache (its keys name its engine and voice, so nothing mixes).
        self.standby = (
            Prompter(
                fields, dialect=dialect, engine=standby[0], voice=standby[1], speed=speed, cache=self.cache
            )
            if standby is not None and engine is not None
            else None
        )
        self._clock = clock
        self._engine_down_until = float("-inf")

    def text(self, template: str, values: Mapping[str, str]) -> str:
        """The words of the prompt (`TemplateError`/`ReadingError` when a value is missing or bad)."""
        return _spoken_text(fill_segments(template, self.fields, values, self.dialect))

    async def render(self, template: str, values: Mapping[str, str]) -> Audio:
        """The prompt as `Audio`: with PCM when there is an engine, else text and an estimated duration.

        With a standby, a `TtsError` of the engine makes the standby speak the whole prompt, and
        the next prompts for `STANDBY_COOLDOWN` seconds (one voice per prompt, no waiting out a
        dead vendor's time-out on every prompt)."""
        if self.standby is None:
            return await self._render(template, values)
        if self._clock() < self._engine_down_until:
            return await self.standby.render(template, values)
        try:
            return await self._render(template, values)
        except TtsError as exc:
            assert self.engine is not None
            log.warning("TTS engine %s failed, espeak-ng speaks instead: %s", self.engine.name, exc)
            self._engine_down_until = self._clock() + STANDBY_COOLDOWN
            return await self.standby.render(template, values)

    async def prefetch(self, templates: Iterable[str], values: Mapping[str, str]) -> int:
        """Synthesise every clip these prompts need for one contact ahead of the call (before
        dialling): at the answer they are in the caches. How many clips were new; a failure is
        logged and left for `render` (and its standby) to meet again."""
        if self.engine is None or self._clock() < self._engine_down_until:
            return 0
        wanted: dict[str, AudioCache] = {}
        for template in templates:
            try:
                parts = fill_segments(template, self.fields, values, self.dialect)
            except (ValueError, KeyError):
                continue  # a bad value fails at render time, where the interpreter reports it
            for part in parts:
                words = " ".join(part.text.split())
                if _WORD.search(words):
                    wanted.setdefault(words, self.personal_cache if part.personal else self.cache)
        missing = {words: cache for words, cache in wanted.items() if self._key(words) not in cache}
        try:
            await self._clips(missing)
        except TtsError as exc:
            log.warning("prefetch with %s failed: %s", self.engine.name, exc)
            return 0
        return len(missing)

    async def _render(self, template: str, values: Mapping[str, str]) -> Audio:
        parts = fill_segments(template, self.fields, values, self.dialect)
        text = _spoken_text(parts)
        if self.engine is None:
            return Audio(text=text, duration=estimate_duration(text, self.speed))
        pieces: list[str | bytes] = []  # words to synthesise, or a ready pause
        wanted: dict[str, AudioCache] = {}  # each distinct piece once, even if said twice
        for part in parts:
            words = " ".join(part.text.split())
            if _WORD.search(words):
                pieces.append(words)
                wanted.setdefault(words, self.personal_cache if part.personal else self.cache)
            elif _SENTENCE_END.search(words) and pieces:
                pieces.append(silence(SENTENCE_PAUSE))
        while pieces and isinstance(pieces[-1], bytes):
            pieces.pop()  # a pause at the very end would only delay the keypad prompt
        clips = await self._clips(wanted)
        stitched = [clips[piece] if isinstance(piece, str) else piece for piece in pieces]
        return Audio.from_pcm(text, join_pcm(stitched, gap_seconds=JOIN_GAP))

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
                await self._clip(words, self.cache)
        return new

    async def _clips(self, wanted: Mapping[str, AudioCache]) -> dict[str, bytes]:
        # All at once: the callee is waiting in silence while the missing pieces are synthesised.
        clips = await _all(self._clip(words, cache) for words, cache in wanted.items())
        return dict(zip(wanted, clips, strict=True))

    async def _clip(self, words: str, cache: AudioCache) -> bytes:
        key = self._key(words)
        cached = cache.get(key)
        metrics.TTS_CACHE.labels(result="miss" if cached is None else "hit").inc()
        if cached is not None:
            return cached
        return await self._flights.join(key, lambda: self._synthesize_and_store(key, words, cache))

    async def _synthesize_and_store(self, key: str, words: str, cache: AudioCache) -> bytes:
        assert self.engine is not None
        with metrics.TTS_SYNTHESIS_SECONDS.labels(engine=self.engine.name).time():
            raw = await self.engine.synthesize(words, voice=self.voice, speed=self.speed)
        # A clip with nothing audible (`AICALL_TTS_ENGINE=none` speaks silence) keeps its length:
        # trimmed to nothing, every prompt would last 0 s and the call's timing would collapse.
        clip = trim_silence(raw) or raw
        cache.put(key, clip)
        return clip

    def _key(self, words: str) -> str:
        assert self.engine is not None
        return AudioCache.key(engine=self.engine.name, voice=self.voice, speed=self.speed, text=words)


class _Flight:
    def __init__(self, task: asyncio.Task[bytes]) -> None:
        self.task = task
        self.waiters = 0


class _SingleFlight:
    """Calls that want the same clip at the same time share one synthesis of it.

    One caller hanging up must not cancel the synthesis the others wait for (hence the
    shield); when the last one is gone, nobody wants it, and it is cancelled.
    """

    def __init__(self) -> None:
        self._flights: dict[str, _Flight] = {}

    async def join(self, key: str, start: Callable[[], Coroutine[Any, Any, bytes]]) -> bytes:
        flight = self._flights.get(key)
        if flight is None:
            flight = self._flights[key] = _Flight(asyncio.ensure_future(start()))
            flight.task.add_done_callback(lambda _: self._forget(key, flight))
        flight.waiters += 1
        try:
            return await asyncio.shield(flight.task)
        finally:
            flight.waiters -= 1
            if flight.waiters == 0 and not flight.task.done():
                flight.task.cancel()

    def _forget(self, key: str, flight: _Flight) -> None:
        if self._flights.get(key) is flight:
            del self._flights[key]


async def _all(jobs: Iterable[Awaitable[bytes]]) -> list[bytes]:
    """Run `jobs` together; on the first failure (or our cancellation) cancel the rest, then raise."""
    tasks = [asyncio.ensure_future(job) for job in jobs]
    try:
        return await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)  # reap them: no orphan keeps running
        raise


def _spoken_text(parts: Sequence[SpokenPart]) -> str:
    return " ".join("".join(part.text for part in parts).split())
