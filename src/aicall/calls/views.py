"""Public API: call recordings."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse

from aicall.calls.models import CallAttempt
from aicall.campaigns.models import Contact
from aicall.errors import NotFound
from aicall.web.deps import CurrentApp, StateDep

router = APIRouter(prefix="/api/v1/public-api", tags=["calls"])


@router.get("/recordings/{attempt_id}.wav", summary="The WAV recording of an answered call (both directions)")
def get_recording(state: StateDep, app: CurrentApp, attempt_id: str) -> FileResponse:
    with state.db.reading() as session:
        attempt = session.get(CallAttempt, attempt_id)
        contact = session.get(Contact, attempt.contact_id) if attempt else None
    if (
        attempt is None
        or contact is None
        or contact.application_id != app.application_id
        or not attempt.recording_path
    ):
        raise NotFound("Recording not found")
    path = Path(attempt.recording_path)
    if not path.is_file():
        raise NotFound("Recording not found (expired by the retention setting)")
    return FileResponse(path, media_type="audio/wav", filename=f"{attempt_id}.wav")
