"""SIP trunks and hotline pools as an account's people see them (the dashboard).

An account sees its own trunks, and its own pools beside the shared ones (`account_id` None,
made by the operator with the CLI), as the public API does. A shared pool's trunk is shown
only as "shared": its address and credentials are the operator's. Passwords never leave here:
a trunk says only whether it has one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from aicall.hotlines.models import Hotline, HotlinePool, SipTrunk

__all__ = ["PoolRow", "TrunkRow", "pools", "trunk_of_account", "trunks", "usable_trunk"]


@dataclass(frozen=True, slots=True)
class TrunkRow:
    id: str
    name: str
    host: str
    port: int
    transport: str
    username: str | None
    has_password: bool
    register: bool
    from_domain: str | None
    max_concurrent: int
    created_at: datetime


@dataclass(frozen=True, slots=True)
class PoolRow:
    id: str
    key: str
    shared: bool
    trunk_id: str | None
    trunk_name: str | None  # None: the simulator, or a shared trunk (see `trunk_shared`)
    trunk_shared: bool
    numbers: tuple[tuple[str, int], ...]  # (caller number, calls at once)
    created_at: datetime


def _trunk_row(trunk: SipTrunk) -> TrunkRow:
    return TrunkRow(
        id=trunk.id,
        name=trunk.name,
        host=trunk.host,
        port=trunk.port,
        transport=trunk.transport,
        username=trunk.username,
        has_password=trunk.password_encrypted is not None,
        register=trunk.register,
        from_domain=trunk.from_domain,
        max_concurrent=trunk.max_concurrent,
        created_at=trunk.created_at,
    )


def trunks(*, session: Session, account_id: str) -> list[TrunkRow]:
    """The account's own SIP trunks, by name."""
    rows = session.scalars(
        select(SipTrunk).where(SipTrunk.account_id == account_id).order_by(SipTrunk.name, SipTrunk.id)
    )
    return [_trunk_row(trunk) for trunk in rows]


def trunk_of_account(*, session: Session, account_id: str, trunk_id: str) -> TrunkRow | None:
    """The trunk if it is the account's own, else None (missing, shared or another's)."""
    trunk = session.scalars(
        select(SipTrunk).where(SipTrunk.id == trunk_id, SipTrunk.account_id == account_id)
    ).first()
    return _trunk_row(trunk) if trunk is not None else None


def usable_trunk(*, session: Session, account_id: str, trunk_id: str) -> bool:
    """May the account's pools send calls through this trunk? Its own or a shared one, the
    rule the public API applies when a pool is created."""
    trunk = session.get(SipTrunk, trunk_id)
    return trunk is not None and trunk.account_id in (None, account_id)


def pools(*, session: Session, account_id: str) -> list[PoolRow]:
    """The account's own pools and the shared ones, by key, each with its numbers."""
    found = session.execute(
        select(HotlinePool, SipTrunk.name, SipTrunk.account_id)
        .outerjoin(SipTrunk, SipTrunk.id == HotlinePool.trunk_id)
        .where(or_(HotlinePool.account_id == account_id, HotlinePool.account_id.is_(None)))
        .order_by(HotlinePool.key, HotlinePool.id)
    ).all()
    numbers: dict[str, list[tuple[str, int]]] = {}
    if found:
        lines = session.execute(
            select(Hotline.pool_id, Hotline.number, Hotline.max_concurrent)
            .where(Hotline.pool_id.in_([pool.id for pool, _, _ in found]))
            .order_by(Hotline.number)
        )
        for pool_id, number, limit in lines:
            numbers.setdefault(pool_id, []).append((number, limit))
    rows = []
    for pool, trunk_name, trunk_account in found:
        trunk_shared = pool.trunk_id is not None and trunk_account != account_id
        rows.append(
            PoolRow(
                id=pool.id,
                key=pool.key,
                shared=pool.account_id is None,
                trunk_id=pool.trunk_id,
                trunk_name=None if trunk_shared else trunk_name,
                trunk_shared=trunk_shared,
                numbers=tuple(numbers.get(pool.id, [])),
                created_at=pool.created_at,
            )
        )
    return rows
