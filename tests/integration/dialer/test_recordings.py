"""Simulated calls that record: the recording holds the prompts as the callee heard them, and
the public API serves it to the owner only."""

from __future__ import annotations

import math
import wave
from array import array
from datetime import datetime

import httpx
import pytest

from aicall.calls.models import CallAttempt
from aicall.calls.recordings import recording_file
from aicall.errors import NotFound
from tests.integration.dialer.support import (
    NO_RETRY,
    add_contacts,
    make_dialer,
    prepare_campaign,
    run_until_idle,
    snapshot,
)
from tests.integration.support import make_tenant

SILENT = "+84987654327"  # answers and presses nothing: hears the menu, waits 3 s, hears it again
CONFIRMS = "+84987654321"  # answers and presses 1 one second into the menu


@pytest.fixture
async def dialer(db, tmp_path, require_tool):
    require_tool("espeak-ng")
    d = make_dialer(db, tmp_path, spoken=True)
    await d.router.start()
    yield d
    await d.router.close()


def frames_of(path: str) -> bytes:
    with wave.open(path, "rb") as recording:
        assert (recording.getframerate(), recording.getnchannels(), recording.getsampwidth()) == (8000, 1, 2)
        return recording.readframes(recording.getnframes())


def rms(frames: bytes, start: float, end: float) -> float:
    """Root mean square of the samples between `start` and `end` seconds."""
    samples = array("h", frames[round(start * 8000) * 2 : round(end * 8000) * 2])
    assert samples, f"the recording has nothing between {start:.2f} s and {end:.2f} s"
    return math.sqrt(sum(sample * sample for sample in samples) / len(samples))


def seconds_into_call(attempt: CallAttempt, step: dict[str, object]) -> float:
    assert attempt.answered_at is not None
    return (datetime.fromisoformat(str(step["at"])) - attempt.answered_at).total_seconds()


async def test_a_recorded_simulated_call_holds_the_spoken_prompt_where_it_played(db, tenant, dialer):
    prepare_campaign(db, tenant, retry=NO_RETRY, record=True)
    add_contacts(db, tenant, [SILENT])

    await run_until_idle(dialer)

    attempt = snapshot(db, tenant).attempts[SILENT][-1]
    assert attempt.outcome == "answered" and attempt.recording_path
    first, replay = (seconds_into_call(attempt, step) for step in attempt.path[:2])
    frames = frames_of(attempt.recording_path)
    assert len(frames) == round(attempt.duration * 8000) * 2  # as long as the call, in call seconds
    spoken = rms(frames, first, first + 1.0)  # the first second of the menu's greeting
    waiting = rms(frames, replay - 2.8, replay - 0.2)  # the 3 s the menu waits for a key
    assert spoken > 500  # espeak-ng at -1 dBFS peaks speaks well above this
    assert waiting == 0.0
    assert rms(frames, replay, replay + 1.0) > 500  # the replay is spoken too


async def test_the_callee_s_key_is_in_the_recording_and_the_api_serves_it_to_its_owner(
    db, tenant, dialer, live_server
):
    prepare_campaign(db, tenant, retry=NO_RETRY, record=True)
    add_contacts(db, tenant, [CONFIRMS])
    await run_until_idle(dialer)
    attempt = snapshot(db, tenant).attempts[CONFIRMS][-1]
    assert attempt.keys_pressed == "1" and attempt.recording_path
    frames = frames_of(attempt.recording_path)
    thanks_at = seconds_into_call(attempt, attempt.path[1])
    assert rms(frames, thanks_at, thanks_at + 0.1) > 3000  # the key's tone, over the thanks' first words

    url = f"{live_server.url}/api/v1/public-api/recordings/{attempt.id}.wav"
    async with httpx.AsyncClient() as client:
        mine = await client.get(url, headers=tenant.headers())
        other = await client.get(url, headers=make_tenant(db, "Other").headers())
    assert mine.status_code == 200 and mine.headers["content-type"] == "audio/wav"
    assert mine.content[44:] == frames  # the file as written, after its 44-byte header
    assert other.status_code == 404

    with db.reading() as session:
        assert str(recording_file(session, attempt_id=attempt.id, account_id=tenant.account_id)) == (
            attempt.recording_path
        )
        with pytest.raises(NotFound):
            recording_file(session, attempt_id=attempt.id, account_id="someone-else")
