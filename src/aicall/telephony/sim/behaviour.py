"""What a virtual phone does when called, and the default: decided by the number's last digit.

| last digit | the phone                                   |
|------------|---------------------------------------------|
| 1, 9, 0    | answers, presses 1 at the first menu        |
| 2          | answers, presses 2 at the first menu        |
| 3          | busy (486)                                  |
| 4          | rings until we give up (CANCEL, 487)        |
| 5          | answers, hangs up during the first prompt   |
| 6          | rejects (603)                               |
| 7          | a voicemail answers: greeting, beep; no key |
| 8          | does not exist (404)                        |

An answered phone also has a voice (`answer`, see `callee`): a person says "A lô", a voicemail
plays its greeting and beep, a network announcement its message. Only answering-machine
detection listens to it (`SimCallSession.callee_audio`); with detection off a voicemail is just a
phone that answers and presses nothing, which is what 7 always was.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass

from aicall.calls.outcomes import CallOutcome
from aicall.telephony.sim.callee import DEFAULT_GREETINGS, Answerer

__all__ = ["DEFAULT_KEY_DELAY", "PhoneBehaviour", "default_behaviour", "default_ring", "sip_answer"]

DEFAULT_KEY_DELAY = 1.0  # seconds into a menu prompt when the callee presses, as a person would

# The SIP final response each outcome arrives as (code, reason phrase).
_SIP_ANSWERS: dict[CallOutcome, tuple[int, str]] = {
    CallOutcome.ANSWERED: (200, "OK"),
    CallOutcome.VOICEMAIL: (200, "OK (voicemail)"),
    CallOutcome.BUSY: (486, "Busy Here"),
    CallOutcome.NO_ANSWER: (480, "Temporarily Unavailable"),
    CallOutcome.REJECTED: (603, "Decline"),
    CallOutcome.INVALID_NUMBER: (404, "Not Found"),
    CallOutcome.FAILED: (503, "Service Unavailable"),
}


@dataclass(frozen=True, slots=True)
class PhoneBehaviour:
    """One virtual phone. Times are in call seconds (before the backend's time scale)."""

    outcome: CallOutcome = CallOutcome.ANSWERED
    ring: float | None = None  # seconds before the answer or final response; None: per-number default
    keys: tuple[str, ...] = ()  # per menu visit, what is pressed ('' = nothing); then nothing
    # per listening menu visit, what is said ('' = nothing), e.g. ("vâng, đúng rồi",); it begins
    # `key_delay` seconds into the prompt, as a key would
    say: tuple[str, ...] = ()
    key_delay: float = DEFAULT_KEY_DELAY  # seconds into the menu's prompt when the key goes in
    hangup_after: float | None = None  # the callee hangs up this long after answering
    hangup_in_prompt: int | None = None  # the callee hangs up halfway through this prompt (1 = first)
    accept_transfer: bool = True
    sip_code: int | None = None  # None: the usual code for `outcome`
    reason: str | None = None  # None: the usual reason phrase for `outcome`
    # What picks up an answered call and what it says from the answer (the callee's audio).
    answer: Answerer = Answerer.PERSON
    greeting: str | None = None  # the words; None: "A lô", a voicemail's or the network's usual text
    greeting_seconds: float | None = None  # instead of words: this much synthetic speech (no TTS)
    greeting_delay: float | None = None  # seconds of silence before it; None: 0.4 / 0.5 / 0.3 s
    beep: bool | None = None  # a "leave a message" tone after the greeting; None: voicemails only

    @property
    def greeting_text(self) -> str:
        return self.greeting if self.greeting is not None else DEFAULT_GREETINGS[self.answer]

    @property
    def beeps(self) -> bool:
        return self.beep if self.beep is not None else self.answer is Answerer.VOICEMAIL

    def sip_answer(self) -> tuple[int, str]:
        code, phrase = sip_answer(self.outcome)
        return (self.sip_code or code, self.reason or phrase)

    def ring_for(self, number: str) -> float:
        return self.ring if self.ring is not None else default_ring(number, self.outcome)


def sip_answer(outcome: CallOutcome) -> tuple[int, str]:
    return _SIP_ANSWERS[outcome]


def default_ring(number: str, outcome: CallOutcome) -> float:
    """Ringing time at scale 1: 2-4 s for a person, the same every time for the same number."""
    match outcome:
        case CallOutcome.NO_ANSWER:
            return math.inf  # rings until the caller's ring timeout
        case CallOutcome.INVALID_NUMBER | CallOutcome.FAILED:
            return 0.5  # the network answers at once
        case CallOutcome.BUSY:
            return 1.0
        case _:
            # crc32, not hash(): Python salts str hashes per process.
            return 2.0 + (zlib.crc32(number.encode()) % 2001) / 1000


def default_behaviour(number: str) -> PhoneBehaviour:
    """The phone at `number` when no rule names it: its last digit decides."""
    match number[-1:]:
        case "1" | "9" | "0":
            return PhoneBehaviour(keys=("1",))
        case "2":
            return PhoneBehaviour(keys=("2",))
        case "3":
            return PhoneBehaviour(outcome=CallOutcome.BUSY)
        case "4":
            return PhoneBehaviour(outcome=CallOutcome.NO_ANSWER)
        case "5":
            return PhoneBehaviour(hangup_in_prompt=1)
        case "6":
            return PhoneBehaviour(outcome=CallOutcome.REJECTED)
        case "7":
            return PhoneBehaviour(answer=Answerer.VOICEMAIL)
        case _:  # 8, and anything that does not end in a digit
            return PhoneBehaviour(outcome=CallOutcome.INVALID_NUMBER)
