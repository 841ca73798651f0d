"""Where calls leave: SIP trunks, hotline pools (`poolHotlineKey`) and their caller numbers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from aicall.clock import utc_now
from aicall.db.base import Base, UTCDateTime
from aicall.ids import object_id

SYSTEM_POOL_KEY = "POOL_SYSTEM"


class SipTrunk(Base):
    __tablename__ = "sip_trunks"

    id: Mapped[str] = mapped_column(String(24), primary_key=True, default=object_id)
    account_id: Mapped[str | None] = mapped_column(String(24), default=None, index=True)  # None: shared
    name: Mapped[str] = mapped_column(String(200), default="")
    host: Mapped[str] = mapped_column(String(255))
    port: Mapped[int] = mapped_column(Integer, default=5060)
    transport: Mapped[str] = mapped_column(String(8), default="udp")
    username: Mapped[str | None] = mapped_column(String(255), default=None)
    password_encrypted: Mapped[str | None] = mapped_column(Text, default=None)
    register: Mapped[bool] = mapped_column(Boolean, default=False)
    from_domain: Mapped[str | None] = mapped_column(String(255), default=None)
    max_concurrent: Mapped[int] = mapped_column(Integer, default=100)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class HotlinePool(Base):
    __tablename__ = "hotline_pools"
    __table_args__ = (UniqueConstraint("account_id", "key", name="uq_hotline_pools_account_key"),)

    id: Mapped[str] = mapped_column(String(24), primary_key=True, default=object_id)
    account_id: Mapped[str | None] = mapped_column(String(24), default=None)  # None: every account may use it
    key: Mapped[str] = mapped_column(String(100))
    trunk_id: Mapped[str | None] = mapped_column(ForeignKey("sip_trunks.id"), default=None)  # None: simulator
    # Its numbers are registered brand-name numbers for advertising calls (Decree 91/2020/ND-CP):
    # only such a pool may carry an advertising campaign. Declared by its owner.
    advertising_registered: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # What a trunk that trusts us may ask every INVITE of this pool to carry (hotlines/identity.py):
    # P-Asserted-Identity, a SIP or tel URI (RFC 3325 §9.1), and Privacy (RFC 3323 §4.2). None: not sent.
    asserted_identity: Mapped[str | None] = mapped_column(String(255), default=None)
    privacy: Mapped[str | None] = mapped_column(String(64), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)


class Hotline(Base):
    __tablename__ = "hotlines"
    __table_args__ = (UniqueConstraint("pool_id", "number", name="uq_hotlines_pool_number"),)

    id: Mapped[str] = mapped_column(String(24), primary_key=True, default=object_id)
    pool_id: Mapped[str] = mapped_column(ForeignKey("hotline_pools.id", ondelete="CASCADE"), index=True)
    number: Mapped[str] = mapped_column(String(20))
    max_concurrent: Mapped[int] = mapped_column(Integer, default=10)
