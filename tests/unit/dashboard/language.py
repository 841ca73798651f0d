"""Telling a message shown in English on a Vietnamese page: English words outside what it quotes.

The values a message quotes (`'12ab'`, `“Đang chạy”`, `{{ten}}`), URLs, paths and identifiers
(`PLAY_MESSAGE`, `AICALL_SIP_ALLOW_PRIVATE`, `dd/mm/yyyy`) are what the person typed or must
type, in any language; the rest must be Vietnamese. English gives itself away by its small
words, which Vietnamese never writes.
"""

from __future__ import annotations

import re

__all__ = ["ENGLISH_WORDS", "english_words"]

ENGLISH_WORDS = frozenset(
    [
        *("the", "is", "are", "was", "be", "been", "must", "should", "not", "no", "has", "have"),
        *("had", "of", "to", "with", "for", "and", "or", "this", "that", "it", "its", "only"),
        *("cannot", "can", "does", "need", "needs", "required", "empty", "invalid", "longer", "than"),
        *("characters", "between", "exists", "already", "value", "valid", "number", "field"),
        *("input", "scenario", "campaign", "pool", "action", "give", "use", "when", "which", "there"),
        *("into", "out", "at", "least", "most", "more", "unknown", "missing", "refused", "allowed"),
    ]
)
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|“[^”]*”|\{\{[^}]*\}\}|\S+://\S*|\S*[_@/\\]\S*")
_WORD = re.compile(r"[^\W\d_]+")  # letters, Vietnamese ones too ("toàn" is not "to")


def english_words(text: str) -> list[str]:
    """The English words of `text` outside what it quotes (empty for a Vietnamese message)."""
    return [word for word in _WORD.findall(_QUOTED.sub(" ", text)) if word.lower() in ENGLISH_WORDS]
