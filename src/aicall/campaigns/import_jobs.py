"""Contact files kept between the steps of an interactive import, and the import itself running
in the background with its progress in a file (the dashboard's upload page).

A staged upload lives in `<data_dir>/imports/<token>/`: `upload` (the bytes), `meta.json` (the
account and campaign it was uploaded for, its name), and once started `progress.json` (state,
rows done, total, counts, the error if any) and `rejected.csv` (row, value, reason). The token
is unguessable and every read checks the account and campaign too, so a token alone opens
nothing. Progress is a file rather than process memory so that any API process of the machine
can answer a poll. Staged uploads older than `KEEP_SECONDS` are removed when a new one arrives.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import shutil
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, BinaryIO

from aicall.campaigns import file_import
from aicall.db.engine import Database
from aicall.errors import ApiError, PayloadTooLarge

__all__ = ["KEEP_SECONDS", "JobState", "Staged", "StagingArea"]

log = logging.getLogger("aicall.campaigns.import_jobs")

KEEP_SECONDS = 24 * 3600
# A running import writes its progress after every batch (seconds apart); silence this long
# means the process that ran it is gone (restarted mid-import): the page says so.
STALE_SECONDS = 120
_COPY_BLOCK = 1 << 16


@dataclass(frozen=True, slots=True)
class Staged:
    token: str
    account_id: str
    campaign_id: str
    filename: str
    folder: Path

    @property
    def upload(self) -> Path:
        return self.folder / "upload"

    @property
    def rejected_csv(self) -> Path:
        return self.folder / "rejected.csv"


@dataclass(frozen=True, slots=True)
class JobState:
    """`state`: `running`, `done`, `failed` or `interrupted`; rows are data rows of the file."""

    state: str
    done: int = 0
    total: int | None = None
    imported: int = 0
    rejected: int = 0
    error: str | None = None
    updated_at: float = 0.0

    @property
    def finished(self) -> bool:
        return self.state != "running"

    @property
    def fraction(self) -> float | None:
        """How far along, 0..1, when the total is known."""
        if self.state == "done":
            return 1.0
        if not self.total:
            return None
        return min(1.0, self.done / self.total)


class StagingArea:
    """Staged uploads under `root`, imported into `db` within `limits`."""

    def __init__(self, *, root: Path, db: Database, limits: file_import.Limits) -> None:
        self.root = root
        self.db = db
        self.limits = limits

    def stage(self, *, source: BinaryIO, filename: str, account_id: str, campaign_id: str) -> Staged:
        """Keep a copy of the upload (refused past `limits.max_bytes`: PayloadTooLarge)."""
        self.sweep()
        token = secrets.token_urlsafe(18)
        folder = self.root / token
        folder.mkdir(parents=True, mode=0o700)
        staged = Staged(token, account_id, campaign_id, Path(filename or "upload").name, folder)
        try:
            _copy(source, staged.upload, self.limits.max_bytes)
        except BaseException:
            shutil.rmtree(folder, ignore_errors=True)
            raise
        meta = {"account_id": account_id, "campaign_id": campaign_id, "filename": staged.filename}
        _write_json(folder / "meta.json", meta)
        return staged

    def discard(self, staged: Staged) -> None:
        """Forget a staged upload (one that turned out unusable)."""
        shutil.rmtree(staged.folder, ignore_errors=True)

    def find(self, token: str, *, account_id: str, campaign_id: str) -> Staged | None:
        """The staged upload if it exists and was made for this account's campaign, else None."""
        if not token or not all(ch.isalnum() or ch in "-_" for ch in token):
            return None
        folder = self.root / token
        try:
            meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if meta.get("account_id") != account_id or meta.get("campaign_id") != campaign_id:
            return None
        return Staged(token, account_id, campaign_id, str(meta.get("filename") or "upload"), folder)

    def start(self, staged: Staged, *, application_id: str, positions: dict[int, str]) -> bool:
        """Start importing in a background thread; False when this upload was started before
        (a second click, a reload): it runs once."""
        try:
            fd = os.open(staged.folder / "progress.json", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return False
        os.close(fd)
        self._save(staged, JobState("running", updated_at=time.time()))
        thread = threading.Thread(
            target=self._run,
            args=(staged, application_id, positions),
            name=f"contact-import-{staged.token[:8]}",
            daemon=True,
        )
        thread.start()
        return True

    def state(self, staged: Staged) -> JobState | None:
        """The import's progress, None before it starts."""
        try:
            raw = json.loads((staged.folder / "progress.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        state = JobState(**raw)
        if state.state == "running" and time.time() - state.updated_at > STALE_SECONDS:
            return JobState(**{**raw, "state": "interrupted"})
        return state

    def sweep(self, now: float | None = None) -> None:
        """Remove staged uploads older than KEEP_SECONDS."""
        now = now or time.time()
        if not self.root.is_dir():
            return
        for folder in self.root.iterdir():
            try:
                if now - folder.stat().st_mtime > KEEP_SECONDS:
                    shutil.rmtree(folder, ignore_errors=True)
            except OSError:
                continue

    def _run(self, staged: Staged, application_id: str, positions: dict[int, str]) -> None:
        state = JobState("running", updated_at=time.time())

        def progress(done: int, total: int | None) -> None:
            nonlocal state
            state = JobState("running", done=done, total=total, updated_at=time.time())
            self._save(staged, state)

        try:
            with staged.upload.open("rb") as source:
                report = file_import.import_file(
                    db=self.db,
                    application_id=application_id,
                    campaign_id=staged.campaign_id,
                    source=source,
                    limits=self.limits,
                    filename=staged.filename,
                    positions=positions,
                    progress=progress,
                )
            file_import.write_rejected(staged.rejected_csv, report.rejected_rows())
            final = JobState(
                "done",
                done=report.rows,
                total=report.rows,
                imported=report.imported,
                rejected=len(report.rejected),
                updated_at=time.time(),
            )
        except ApiError as exc:
            rows = exc.details if isinstance(exc.details, list) else []
            file_import.write_rejected(staged.rejected_csv, rows)
            final = JobState(
                "failed", done=state.done, total=state.total, rejected=len(rows), error=exc.message,
                updated_at=time.time(),
            )  # fmt: skip
        except Exception:
            log.exception("contact import failed", extra={"campaign_id": staged.campaign_id})
            final = JobState(
                "failed", done=state.done, total=state.total, error="Internal error", updated_at=time.time()
            )
        self._save(staged, final)
        staged.upload.unlink(missing_ok=True)  # the rows are in the database now; the report stays

    def _save(self, staged: Staged, state: JobState) -> None:
        _write_json(staged.folder / "progress.json", asdict(state))


def _copy(source: BinaryIO, target: Path, limit: int) -> None:
    source.seek(0)
    size = 0
    with target.open("wb") as out:
        while block := source.read(_COPY_BLOCK):
            size += len(block)
            if size > limit:
                raise PayloadTooLarge(
                    f"The file is larger than the limit of {limit:,} bytes "
                    "(AICALL_MAX_UPLOAD_BYTES): split it"
                )
            out.write(block)


def _write_json(path: Path, value: dict[str, Any]) -> None:
    # Written aside and renamed: a poll never reads half a file.
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(value, ensure_ascii=False), encoding="utf-8")
    os.replace(partial, path)
