"""Public API: call recordings."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import FileResponse

from aicall.calls import recordings
from aicall.web.deps import CurrentApp, StateDep
from aicall.web.openapi import WAV

router = APIRouter(prefix="/api/v1/public-api", tags=["calls"])


@router.get(
    "/recordings/{attempt_id}.wav",
    summary="The WAV recording of an answered call (both directions)",
    response_class=FileResponse,
    responses={200: {"description": "8 kHz WAV", "content": WAV}, 404: {}},
)
def get_recording(state: StateDep, app: CurrentApp, attempt_id: str) -> FileResponse:
    with state.db.reading() as session:
        path = recordings.recording_file(session, attempt_id=attempt_id, application_id=app.application_id)
    return FileResponse(path, media_type="audio/wav", filename=f"{attempt_id}.wav")
