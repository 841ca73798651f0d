"""Vietnamese speech: reading tag values aloud, prompt templates, TTS engines, audio cache.

Modules, from words to sound:

* `reading` (`numbers`, `dates`, `spelling`, `dialect`): `read(type, value, dialect=)`.
* `template`: `{{placeholders}}`, `render_text`, `validate_value`, `check_values`.
* `tts` (`espeak`, `openai_speech`, `fakes`): the `TtsEngine` seam and its engines.
* `voices`: scenario voice codes -> (engine, voice).
* `selection`: `VoiceEngines`, the engine that speaks a voice code, with its fallbacks.
* `cache`: `AudioCache`, WAV files on disk with a memory LRU in front.
* `prompter`: `Prompter.render` / `render_file`, what the interpreter and previews call.
* `wav`, `resample`, `pcm`, `tools`, `timing`: audio plumbing without `audioop`.

Only the pure reading API is re-exported here, so importing `aicall.speech.keys` stays cheap.
"""

from aicall.speech.dialect import Dialect
from aicall.speech.errors import ReadingError, SpeechError, TemplateError, TtsError, UnknownVoiceError
from aicall.speech.reading import ReadingType, read

__all__ = [
    "Dialect",
    "ReadingError",
    "ReadingType",
    "SpeechError",
    "TemplateError",
    "TtsError",
    "UnknownVoiceError",
    "read",
]
