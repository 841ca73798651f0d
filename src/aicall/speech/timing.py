"""How long a text takes to say, without synthesising it (the simulator plays no samples).

Vietnamese is written one syllable per word, so the count of words is the count of
syllables. The constants were fitted on espeak-ng's `vi` voice at its default 175 words per
minute (within ~10 % on the prompts in docs/speech.md); neural voices are a little faster.
"""

from __future__ import annotations

import re

__all__ = ["estimate_duration"]

SECONDS_PER_SYLLABLE = 0.20
SECONDS_PER_PAUSE = 0.30  # a comma, full stop, colon... followed by a space or the end
SECONDS_OF_EDGES = 0.35  # the silence a synthesiser leaves before and after a clip

_SYLLABLE = re.compile(r"\w+")
_PAUSE = re.compile(r"[,.;:!?…]+(?=\s|$)")


def estimate_duration(text: str, speed: float = 1.0) -> float:
    """Seconds of speech for `text` at `speed` (1.0 = normal); 0 for a text with no words."""
    syllables = len(_SYLLABLE.findall(text))
    if not syllables:
        return 0.0
    pauses = len(_PAUSE.findall(text))
    seconds = syllables * SECONDS_PER_SYLLABLE + pauses * SECONDS_PER_PAUSE + SECONDS_OF_EDGES
    return round(seconds / speed, 3)
