"""Dialer processes announce themselves here, so others can tell a live one from a dead one."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from aicall.clock import utc_now
from aicall.db.base import Base, UTCDateTime


class DialerWorker(Base):
    """One dialer process's heartbeat row, written by `dialer.recovery` only. `max_calls`: its own
    cap on calls in flight (AICALL_DIALER_MAX_CALLS; 0: none), read by the waiting reason
    `dialer_capacity` (campaigns.waiting)."""

    __tablename__ = "dialer_workers"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    hostname: Mapped[str] = mapped_column(String(255), default="")
    pid: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    heartbeat_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    max_calls: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
