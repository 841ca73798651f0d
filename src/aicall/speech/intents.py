"""What a callee meant: a spoken (or transcribed) Vietnamese answer matched to an intent.

Speakers (and speech recognisers) write the same answer many ways: "Dạ vâng ạ", "da vang",
"ừ đúng rồi", "hông", "ko", "khỏi". Matching therefore works on a plain form of the words: NFC,
lower case, tone marks and diacritics removed (đ -> d), punctuation dropped, colloquial and
texting spellings mapped to one word (`ko`, `k`, `hông`, `hổng`, `hok` -> `không`; `dc` ->
`được`; `r` -> `rồi`). A phrase matches where its words appear in a row in the answer; words
compare without their marks, unless both sides carry marks and they differ ("co" is "có",
"cơ" is not; "đừng" is not "đúng").

The longest phrase found wins (so "đừng gọi nữa", stop, beats "đúng", yes: without marks both
are "dung"); a yes phrase right after a negation ("không đồng ý", "chưa được") counts for no;
ties go to the intent listed first in `PRIORITY` (a refusal of further calls is never taken for
a mere "no"). Words that carry assent only when nothing else is said ("dạ", "ừ", "ờ") are weak:
"dạ" alone is yes, "dạ không" is no. Politeness and hesitation words ("ạ", "à", "ừm", "nhé")
are ignored.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

__all__ = [
    "BUILTIN_INTENTS",
    "PRIORITY",
    "IntentMatch",
    "IntentMatcher",
    "builtin_phrases",
    "match_intent",
    "plain_words",
]

YES, NO, CALL_BACK_LATER, WRONG_PERSON, STOP_CALLING = (
    "yes",
    "no",
    "call_back_later",
    "wrong_person",
    "stop_calling",
)

# Written as people say them; each is reduced to plain words when the matcher is built.
BUILTIN_INTENTS: Mapping[str, tuple[str, ...]] = {
    YES: (
        "có", "có ạ", "có chứ", "vâng", "dạ vâng", "vâng ạ", "dạ phải", "phải", "phải rồi",
        "đúng", "đúng rồi", "đúng vậy", "đúng thế", "chính xác", "chính nó", "đồng ý", "tôi đồng ý",
        "được", "được rồi", "ok", "oke", "okay", "ô kê", "yes", "ừa", "chuẩn", "chuẩn rồi",
        "là tôi", "tôi đây", "em đây", "chính tôi", "chắc chắn", "xác nhận", "nhất trí", "rồi",
        "nghe rõ", "tôi nghe", "có nghe", "biết rồi", "nhận được rồi", "đồng ý ạ", "ừ đúng",
    ),
    NO: (
        "không", "không ạ", "không có", "không phải", "không đúng", "không được", "không đồng ý",
        "chưa", "chưa có", "chẳng", "chả", "đâu có", "có đâu", "không đâu", "khỏi", "khỏi đi",
        "thôi", "thôi khỏi", "không cần", "không cần đâu", "không muốn", "từ chối", "sai", "sai rồi",
        "no", "không nhé", "không nha", "chưa đâu", "không có đâu", "làm gì có",
    ),
    CALL_BACK_LATER: (
        "gọi lại sau", "gọi lại", "gọi sau", "để sau", "lúc khác", "khi khác", "hôm khác",
        "để lúc khác", "đang bận", "bận rồi", "bận lắm", "tôi bận", "em bận", "đang họp",
        "đang lái xe", "đang chạy xe", "đang làm", "đang làm việc", "không tiện", "chưa tiện",
        "không tiện nghe", "mai gọi", "để mai", "ngày mai gọi", "chiều gọi", "tối gọi",
        "tí nữa", "lát nữa", "chút nữa", "lát gọi", "tí gọi", "gọi lại giùm", "gọi lại giúp",
        "đang đi đường", "đang ngoài đường", "đang ăn", "đang ngủ", "đang bận việc",
    ),
    WRONG_PERSON: (
        "nhầm số", "nhầm người", "gọi nhầm", "lộn số", "gọi lộn", "nhầm rồi", "lộn rồi", "sai số",
        "sai người", "không phải tôi", "không phải em", "không phải anh", "không phải chị",
        "không phải tui", "tôi không phải", "không có ai tên", "không có người", "không có ai",
        "không quen", "không biết ai", "không biết người", "số này không phải",
        "không phải số", "tôi không biết người này", "người khác", "không phải người đó",
        "nhầm máy", "không phải chủ", "không phải là tôi", "mới đổi số", "số mới",
    ),
    STOP_CALLING: (
        "đừng gọi", "đừng gọi nữa", "đừng có gọi", "không gọi nữa", "đừng gọi cho tôi",
        "đừng làm phiền", "làm phiền quá", "phiền quá", "đừng liên lạc", "không muốn nhận cuộc gọi",
        "xóa số", "xoá số", "bỏ số", "chặn số", "hủy đăng ký", "huỷ đăng ký", "spam", "lừa đảo",
        "đừng quay", "không nghe nữa", "đừng gọi đến", "đừng gọi tới", "không được gọi",
        "cấm gọi", "báo công an", "đừng bao giờ gọi", "gọi hoài", "gọi hoài vậy", "gọi mãi",
        "gọi hoài", "đừng có gọi nữa", "không muốn nghe", "ngừng gọi", "thôi đừng gọi",
        "không nhận cuộc gọi", "đừng gọi lại",
    ),
}  # fmt: skip

# Ties between phrases of the same length go to the earlier intent.
PRIORITY: tuple[str, ...] = (STOP_CALLING, WRONG_PERSON, CALL_BACK_LATER, NO, YES)

# One spelling for the many ways people (and recognisers) write a word. Keys with marks are
# looked up as written; keys without marks only for words written without any.
_VARIANTS: Mapping[str, str] = {
    "ko": "không", "k": "không", "kh": "không", "khg": "không", "kg": "không", "hong": "không",
    "hông": "không", "hổng": "không", "hỏng": "không", "hok": "không", "hem": "không",
    "hk": "không", "khum": "không", "hum": "không", "khog": "không", "khôg": "không",
    "dc": "được", "đc": "được", "dk": "được", "đk": "được", "dx": "được", "đươc": "được",
    "r": "rồi", "rùi": "rồi", "rui": "rồi", "vag": "vâng", "vâg": "vâng", "vưng": "vâng",
    "oke": "ok", "okay": "ok", "oki": "ok", "okie": "ok", "okela": "ok", "uk": "ừ", "uh": "ừ",
    "ừh": "ừ", "uhm": "ừm", "umm": "ừm", "hmm": "ừm", "hm": "ừm", "uhmm": "ừm", "um": "ừm",
    "tui": "tôi", "t": "tôi", "e": "em", "j": "gì", "ji": "gì", "xoá": "xóa", "huỷ": "hủy",
    "nha": "nhé", "nhe": "nhé", "dum": "giùm", "gium": "giùm", "giup": "giúp",
}  # fmt: skip

# Said for politeness or while thinking; never decide anything (plain spellings included).
_FILLER_WORDS = (
    "à",
    "ạ",
    "á",
    "a",
    "ak",
    "ah",
    "ừm",
    "nhé",
    "ơi",
    "ui",
    "thế",
    "thì",
    "hả",
    "nè",
    "nhỉ",
    "ấy",
    "mà",
)
# Assent only when nothing else is said: "dạ" alone is yes, "dạ không" is no.
_WEAK_YES = ("dạ", "ừ", "ờ", "ừa", "dạ dạ", "ừ ừ")
_NEGATIONS = ("không", "chưa", "chẳng", "chả")

_PUNCTUATION = re.compile(r"[^\w\s]|_", re.UNICODE)


def _strip_marks(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", word.replace("đ", "d"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _words(text: str) -> list[str]:
    """Lower-case NFC words with colloquial spellings unified; marks kept where written."""
    text = unicodedata.normalize("NFC", text).lower()
    words = []
    for word in _PUNCTUATION.sub(" ", text).split():
        if word in _VARIANTS:
            word = _VARIANTS[word]
        elif _strip_marks(word) == word and word in _PLAIN_VARIANTS:
            word = _PLAIN_VARIANTS[word]
        words.append(word)
    return words


def plain_words(text: str) -> list[str]:
    """The words of `text` in plain form: lower case, no marks, colloquial spellings unified."""
    return [_strip_marks(word) for word in _words(text)]


_PLAIN_VARIANTS = {_strip_marks(k): v for k, v in _VARIANTS.items()}
_FILLERS = frozenset(_FILLER_WORDS) | {_strip_marks(w) for w in _FILLER_WORDS}
_NEGATION_SET = frozenset(_NEGATIONS) | {_strip_marks(w) for w in _NEGATIONS}


def _same(heard: str, phrase: str) -> bool:
    """Words match when their plain forms do, unless both carry marks and the marks differ
    ("co" is "có", but "cơ" is not; "đừng" is not "đúng")."""
    if heard == phrase:
        return True
    plain_heard, plain_phrase = _strip_marks(heard), _strip_marks(phrase)
    if plain_heard != plain_phrase:
        return False
    return plain_heard == heard or plain_phrase == phrase


@dataclass(frozen=True, slots=True)
class IntentMatch:
    intent: str
    confidence: float  # 0..1: the share of the answer's words (fillers aside) the intent's phrases explain
    phrase: str  # the matched phrase, plain form


@dataclass(frozen=True, slots=True)
class _Phrase:
    intent: str
    words: tuple[str, ...]
    weight: float  # tokens counted for the longest-match rule; weak assent counts half


class IntentMatcher:
    """Matches answers against a set of intents, each a list of phrases.

    `intents` maps an intent name to its phrases; a built-in intent given no phrases (or an
    empty list) uses the built-in set, and one given phrases uses them beside the built-in set.
    """

    def __init__(self, intents: Mapping[str, Sequence[str]] | Iterable[str] | None = None) -> None:
        if intents is None:
            intents = dict.fromkeys(BUILTIN_INTENTS, ())
        elif not isinstance(intents, Mapping):
            intents = dict.fromkeys(intents, ())
        self.intents = tuple(intents)
        rank = {name: index for index, name in enumerate(PRIORITY)}
        self._rank = {name: rank.get(name, len(PRIORITY)) for name in self.intents}
        phrases: list[_Phrase] = []
        for name, extra in intents.items():
            texts = [*BUILTIN_INTENTS.get(name, ()), *extra]
            if name == YES:
                phrases.extend(_Phrase(YES, tuple(w.split()), 0.5) for w in _WEAK_YES)
            for text in texts:
                words = tuple(w for w in _words(text) if w not in _FILLERS)
                if words:
                    phrases.append(_Phrase(name, words, float(len(words))))
        # Longest first, so the first hit at a position is the best one there.
        self._phrases = sorted(phrases, key=lambda p: (-p.weight, self._rank[p.intent]))

    def match(self, text: str) -> IntentMatch | None:
        """The intent `text` expresses, or None when it says none of them."""
        content = [w for w in _words(text) if w not in _FILLERS]
        if not content:
            return None
        best: tuple[float, int, str, str] | None = None  # (weight, -rank, intent, phrase)
        covered: dict[str, set[int]] = {}  # words each intent's phrases explain
        for phrase in self._phrases:
            for start in _find(content, phrase.words):
                intent, weight, span = phrase.intent, phrase.weight, len(phrase.words)
                if intent == YES and start > 0 and content[start - 1] in _NEGATION_SET:
                    intent, weight = NO, weight + 1  # "không đồng ý", "chưa được"
                    start, span = start - 1, span + 1
                if intent not in self._rank:
                    continue
                covered.setdefault(intent, set()).update(range(start, start + span))
                candidate = (weight, -self._rank[intent], intent, " ".join(phrase.words))
                if best is None or candidate[:2] > best[:2]:
                    best = candidate
        if best is None:
            return None
        _weight, _rank, intent, said = best
        confidence = len(covered[intent]) / len(content)
        return IntentMatch(intent=intent, confidence=round(confidence, 3), phrase=said)


def _find(words: Sequence[str], phrase: tuple[str, ...]) -> Iterable[int]:
    size = len(phrase)
    for start in range(len(words) - size + 1):
        if all(_same(words[start + i], phrase[i]) for i in range(size)):
            yield start


_DEFAULT = IntentMatcher()


def match_intent(text: str) -> IntentMatch | None:
    """Match `text` against the built-in intents."""
    return _DEFAULT.match(text)


def builtin_phrases(intent: str) -> tuple[str, ...]:
    """The built-in phrases of `intent` (empty for an intent we do not know)."""
    return BUILTIN_INTENTS.get(intent, ())
