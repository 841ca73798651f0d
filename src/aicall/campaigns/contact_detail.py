"""One contact as a person reads it: its attempts, each told as a timeline of what happened.

The timeline is built from what a call attempt stores (calls.models.CallAttempt): its times,
outcome, SIP answer and end reason, and `path`, the steps taken through the scenario (each with
what was spoken, the keys pressed, what a listening menu heard and how it ended: the
interpreter's `trace.Step.to_dict()`, webhooks.payloads.PathStep). There is no separate
"ringing" time stored: ringing is the span from the dial to the answer (or, for a call nobody
took, to its end). `detection()` reads the answering-machine verdict stored beside it
(`CallAttempt.amd`, dialer.amd_screen.Screening.to_dict()).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from aicall.accounts.models import Application
from aicall.calls.models import AttemptStatus, CallAttempt
from aicall.calls.outcomes import CallOutcome, EndReason
from aicall.campaigns.models import Contact

__all__ = ["Detection", "Step", "attempts_of", "contact_of_account", "detection", "path_labels", "timeline"]


@dataclass(frozen=True, slots=True)
class Step:
    """One line of an attempt's timeline.

    `kind`: dialled, ringing, answered, not_answered, prompt, keys, speech, not_understood,
    no_input, invalid, transferred, transfer_failed, callee_hangup, error, hangup, in_progress.

    A spoken answer is `speech`: `text` what the recogniser heard, `intent` the intent it
    matched (None: it matched none, the menu took it as a wrong answer). `not_understood`: the
    callee spoke and no words were recognised (`detail`: why, e.g. no recogniser), which the
    menu counts as no input.
    """

    kind: str
    at: datetime | None = None
    seconds: float | None = None  # how long it lasted (ringing)
    text: str | None = None  # what was spoken (prompt) or heard (speech)
    label: str | None = None  # the scenario action's label
    keys: str | None = None  # keys pressed; on a prompt, "interrupted" when it was cut short
    detail: str | None = None  # hotline, SIP answer, end reason, repeat number, recogniser error
    intent: str | None = None  # speech: the intent matched
    spoken: bool = False  # prompt: the callee answered it by voice (speech, not a key, cut it short)


@dataclass(frozen=True, slots=True)
class Detection:
    """Answering-machine detection on one attempt (dialer.amd_screen.Screening.to_dict()).

    `verdict`: human, machine or unknown (undecided, treated as a person); `seconds`: how much
    of the callee's audio it took to decide (None when not stored); `reason`: the detector's
    short snake_case cause (`beep`, `long_greeting`...); `message_left`: the campaign's
    voicemail message was played to its end.
    """

    verdict: str
    seconds: float | None = None
    reason: str | None = None
    message_left: bool = False


def contact_of_account(session: Session, *, account_id: str, contact_id: str) -> Contact | None:
    """The contact if it belongs to one of the account's applications, else None."""
    return session.scalars(
        select(Contact)
        .join(Application, Application.id == Contact.application_id)
        .where(Contact.id == contact_id, Application.account_id == account_id)
    ).first()


def attempts_of(session: Session, *, contact_id: str) -> list[CallAttempt]:
    """The contact's attempts, first dial first."""
    return list(
        session.scalars(
            select(CallAttempt).where(CallAttempt.contact_id == contact_id).order_by(CallAttempt.number)
        )
    )


def _at(raw: Any) -> datetime | None:
    if isinstance(raw, datetime):
        return raw
    if isinstance(raw, str):
        try:
            return datetime.fromisoformat(raw)
        except ValueError:
            return None
    return None


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    return (end - start).total_seconds() if start and end else None


def _heard_step(heard: dict[str, Any], at: datetime | None, label: str | None) -> Step:
    """A listening menu's recognition (interpreter.trace.Heard.to_dict()) as one step."""
    transcript = heard.get("transcript")
    if transcript is None:
        return Step("not_understood", at=at, label=label, detail=heard.get("error"))
    return Step("speech", at=at, text=str(transcript), label=label, intent=heard.get("intent"))


def _path_steps(path: Sequence[dict[str, Any]], end_reason: str | None) -> list[Step]:
    steps: list[Step] = []
    for item in path:
        at = _at(item.get("at"))
        label = item.get("label") or item.get("type")
        repeat = int(item.get("repeat") or 0)
        heard = item.get("heard") if isinstance(item.get("heard"), dict) else None
        if item.get("text"):
            steps.append(
                Step(
                    "prompt",
                    at=at,
                    text=item["text"],
                    label=label,
                    detail=str(repeat) if repeat else None,
                    keys="interrupted" if item.get("interrupted") else None,
                    spoken=heard is not None,
                )
            )
        result, keys = item.get("result"), item.get("keys")
        if heard is not None:
            # What was said, whichever way the menu took it (matched, no match, not understood).
            steps.append(_heard_step(heard, at, label))
        match result:
            case "matched" | "invalid" | "no_input" if heard is not None:
                pass  # the spoken step above says it
            case "matched":
                steps.append(Step("keys", at=at, keys=keys, label=label))
            case "no_input":
                steps.append(Step("no_input", at=at, label=label))
            case "invalid":
                steps.append(Step("invalid", at=at, keys=keys, label=label))
            case "transferred" | "transfer_failed" | "error":
                steps.append(Step(result, at=at, label=label))
            case "ended" if end_reason == EndReason.REMOTE_HANGUP.value:
                steps.append(Step("callee_hangup", at=at, label=label))
            # "hangup" (goodbye said, we hung up) and other endings: the closing step says it.
    return steps


def timeline(attempt: CallAttempt) -> list[Step]:
    """What happened on one attempt, in order: dialled, ringing, answered (or why not), each
    prompt heard, each key pressed or answer spoken (with its intent), the hang-up."""
    dialled = attempt.started_at or attempt.claimed_at
    steps = [Step("dialled", at=dialled, detail=attempt.hotline)]
    if attempt.status == AttemptStatus.IN_PROGRESS.value and attempt.answered_at is None:
        return [*steps, Step("in_progress")]
    if attempt.answered_at is not None:
        steps.append(Step("ringing", at=dialled, seconds=_seconds(dialled, attempt.answered_at)))
        steps.append(Step("answered", at=attempt.answered_at))
        steps += _path_steps(attempt.path or [], attempt.end_reason)
        if attempt.status == AttemptStatus.IN_PROGRESS.value:
            return [*steps, Step("in_progress")]
        steps.append(Step("hangup", at=attempt.ended_at, detail=attempt.end_reason))
        return steps
    if attempt.outcome == CallOutcome.NO_ANSWER.value:
        steps.append(Step("ringing", at=dialled, seconds=_seconds(dialled, attempt.ended_at)))
    sip = f"{attempt.sip_code} {attempt.sip_reason or ''}".strip() if attempt.sip_code else None
    steps.append(Step("not_answered", at=attempt.ended_at, detail=sip, label=attempt.outcome))
    if attempt.error:
        steps.append(Step("error", at=attempt.ended_at, text=attempt.error))
    return steps


def detection(attempt: CallAttempt) -> Detection | None:
    """The answering-machine verdict on the attempt; None when detection did not run."""
    amd = attempt.amd
    if not isinstance(amd, dict) or not amd.get("verdict"):
        return None
    seconds = amd.get("decided_after")
    return Detection(
        verdict=str(amd["verdict"]),
        seconds=float(seconds) if isinstance(seconds, int | float) else None,
        reason=amd.get("reason") or None,
        message_left=bool(amd.get("message_left")),
    )


def path_labels(attempt: CallAttempt) -> list[str]:
    """The scenario actions the call went through, by label, in order (a replay listed again)."""
    return [str(step.get("label") or step.get("type") or "?") for step in attempt.path or []]
