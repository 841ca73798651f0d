"""Hotline pools and SIP trunks: creation and resolution of `poolHotlineKey`."""

from __future__ import annotations

import socket
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from aicall import addresses
from aicall.accounts.secrets_box import SecretBox
from aicall.hotlines import identity
from aicall.hotlines.models import SYSTEM_POOL_KEY, Hotline, HotlinePool, SipTrunk
from aicall.phones import PhoneError, normalise
from aicall.telephony import addressing
from aicall.telephony.session import TRUNK_TRANSPORTS, TrunkConfig

# The shared pool every account can dial from: simulated caller numbers until an operator
# points it at a trunk.
SYSTEM_POOL_NUMBERS = ("+842873000001", "+842873000002", "+842873000003", "+842873000004")


class HotlineError(ValueError):
    """Bad pool or trunk input; the message says what, `field` which input (when one is to blame)."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


# The public API's bounds (hotlines/views.py), held here too so the CLI and the dashboard keep them.
MAX_TRUNK_CONCURRENT = 10_000
MAX_NUMBER_CONCURRENT = 1_000
MAX_POOL_NUMBERS = 1_000
_TEXT_LIMITS = {"host": 255, "username": 255, "from_domain": 255, "name": 200}  # the columns' sizes


class Keep(Enum):
    """A value left as stored: `update_trunk(password=KEEP_PASSWORD)`, `PoolChanges`' fields."""

    PASSWORD = "keep"
    UNCHANGED = "unchanged"


KEEP_PASSWORD = Keep.PASSWORD


@dataclass(frozen=True, slots=True)
class PoolLines:
    pool_id: str
    key: str
    trunk: TrunkConfig | None
    trunk_capacity: int | None
    lines: tuple[tuple[str, int], ...]  # (caller number, max concurrent calls)
    asserted_identity: str | None = None  # P-Asserted-Identity of every INVITE (RFC 3325 §9.1)
    privacy: str | None = None  # Privacy header value (RFC 3323 §4.2)


def ensure_system_pool(*, session: Session) -> HotlinePool:
    pool = session.scalars(
        select(HotlinePool).where(HotlinePool.account_id.is_(None), HotlinePool.key == SYSTEM_POOL_KEY)
    ).first()
    if pool is None:
        pool = HotlinePool(account_id=None, key=SYSTEM_POOL_KEY)
        session.add(pool)
        session.flush()
        for number in SYSTEM_POOL_NUMBERS:
            session.add(Hotline(pool_id=pool.id, number=number, max_concurrent=250))
        session.flush()
    return pool


def _check_trunk(
    *,
    host: str,
    port: int,
    transport: str,
    username: str | None,
    register: bool,
    from_domain: str | None,
    name: str,
    max_concurrent: int,
    password: str | None,
    allow_private: bool,
) -> None:
    """The rules every trunk obeys, created or updated; HotlineError names the field at fault."""
    if not host.strip():
        raise HotlineError("host is required", field="host")
    texts = {"host": host, "username": username, "from_domain": from_domain, "name": name}
    for field, text in texts.items():
        if text is not None and len(text) > _TEXT_LIMITS[field]:
            raise HotlineError(f"{field} is longer than {_TEXT_LIMITS[field]} characters", field=field)
    if not 1 <= port <= 65535:
        raise HotlineError(f"port {port} is out of range 1-65535", field="port")
    _check_sip_values(host=host.strip(), username=username, password=password, from_domain=from_domain)
    try:
        # The webhook URLs' rule: a trunk is where a running campaign sends SIP, from inside
        # the operator's network (AICALL_SIP_ALLOW_PRIVATE lifts it for trunks on private links).
        addresses.check_host(
            host.strip(), port, allow_private=allow_private, what="SIP trunk host", kind=socket.SOCK_DGRAM
        )
    except addresses.BlockedHost as exc:
        raise HotlineError(
            f"{exc} (AICALL_SIP_ALLOW_PRIVATE allows private addresses)", field="host"
        ) from None
    if transport not in TRUNK_TRANSPORTS:
        # Refused when stored, not when a running campaign first dials it (RFC 3261 §18).
        raise HotlineError(
            f"transport must be {' or '.join(TRUNK_TRANSPORTS)}, the ones the SIP layer dials "
            "(TLS: put a session border controller in front)",
            field="transport",
        )
    if register and not username:
        raise HotlineError("--register needs a username", field="username")
    if not 1 <= max_concurrent <= MAX_TRUNK_CONCURRENT:
        raise HotlineError(
            f"max_concurrent must be between 1 and {MAX_TRUNK_CONCURRENT}", field="max_concurrent"
        )


def _check_sip_values(
    *, host: str, username: str | None, password: str | None, from_domain: str | None
) -> None:
    """Every value that ends up in a SIP header, held to that header's grammar when stored."""
    problems = {
        "host": addressing.host_problem(host),
        "from_domain": addressing.host_problem(from_domain) if from_domain else None,
        "username": addressing.user_problem(username) if username else None,
        "password": addressing.password_problem(password) if password else None,
    }
    for field, problem in problems.items():
        if problem is not None:
            raise HotlineError(f"{field} {problem}", field=field)


def create_trunk(
    *,
    session: Session,
    box: SecretBox,
    host: str,
    port: int = 5060,
    transport: str = "udp",
    username: str | None = None,
    password: str | None = None,
    register: bool = False,
    from_domain: str | None = None,
    account_id: str | None = None,
    name: str = "",
    max_concurrent: int = 100,
    allow_private: bool = False,
) -> SipTrunk:
    """A new SIP trunk; its password is stored sealed and never shown back. `allow_private`:
    the host may be a loopback or private address (AICALL_SIP_ALLOW_PRIVATE)."""
    _check_trunk(
        host=host,
        port=port,
        transport=transport,
        username=username,
        register=register,
        from_domain=from_domain,
        name=name,
        max_concurrent=max_concurrent,
        password=password,
        allow_private=allow_private,
    )
    trunk = SipTrunk(
        account_id=account_id,
        name=(name or host.strip())[:200],  # the host names an unnamed trunk, within the column
        host=host.strip(),
        port=port,
        transport=transport,
        username=username,
        password_encrypted=box.seal(password) if password else None,
        register=register,
        from_domain=from_domain,
        max_concurrent=max_concurrent,
    )
    session.add(trunk)
    session.flush()
    return trunk


def update_trunk(
    *,
    session: Session,
    box: SecretBox,
    trunk_id: str,
    host: str,
    port: int,
    transport: str,
    username: str | None,
    password: str | Keep | None = KEEP_PASSWORD,
    register: bool,
    from_domain: str | None,
    name: str,
    max_concurrent: int,
    allow_private: bool = False,
) -> SipTrunk:
    """Change a trunk under the rules of `create_trunk`. `password`: KEEP_PASSWORD (the
    default) keeps the stored one, None removes it, a string replaces it."""
    trunk = session.get(SipTrunk, trunk_id)
    if trunk is None:
        raise HotlineError(f"no SIP trunk has id {trunk_id}")
    _check_trunk(
        host=host,
        port=port,
        transport=transport,
        username=username,
        register=register,
        from_domain=from_domain,
        name=name,
        max_concurrent=max_concurrent,
        password=password if isinstance(password, str) else None,
        allow_private=allow_private,
    )
    trunk.name = name or host.strip()
    trunk.host = host.strip()
    trunk.port = port
    trunk.transport = transport
    trunk.username = username
    trunk.register = register
    trunk.from_domain = from_domain
    trunk.max_concurrent = max_concurrent
    if password is None or password == "":
        trunk.password_encrypted = None
    elif isinstance(password, str):
        trunk.password_encrypted = box.seal(password)
    session.flush()
    return trunk


def create_pool(
    *,
    session: Session,
    key: str,
    numbers: list[str],
    trunk_id: str | None = None,
    account_id: str | None = None,
    per_number_concurrency: int = 10,
    advertising_registered: bool = False,
    asserted_identity: str | None = None,
    privacy: str | None = None,
) -> HotlinePool:
    """A new pool of caller numbers (normalised to E.164, duplicates dropped). `asserted_identity`
    and `privacy`: what its INVITEs carry for a trunk that asks (hotlines/identity.py). Raises
    HotlineError naming the field at fault."""
    key = key.strip()
    if not key:
        raise HotlineError("pool key is required", field="key")
    if len(key) > 100:  # the column's size
        raise HotlineError("pool key is longer than 100 characters", field="key")
    normalised = _checked_numbers(numbers)
    _check_concurrency(per_number_concurrency)
    if trunk_id is not None and session.get(SipTrunk, trunk_id) is None:
        raise HotlineError(f"no SIP trunk has id {trunk_id}", field="trunk_id")
    asserted_identity, privacy = _checked_identity(asserted_identity, privacy)
    existing = session.scalars(
        select(HotlinePool).where(
            HotlinePool.key == key,
            HotlinePool.account_id.is_(None) if account_id is None else HotlinePool.account_id == account_id,
        )
    ).first()
    if existing is not None:
        raise HotlineError(f"a pool with key {key!r} exists already", field="key")
    pool = HotlinePool(
        key=key,
        trunk_id=trunk_id,
        account_id=account_id,
        advertising_registered=advertising_registered,
        asserted_identity=asserted_identity,
        privacy=privacy,
    )
    session.add(pool)
    session.flush()
    for number in normalised:
        session.add(Hotline(pool_id=pool.id, number=number, max_concurrent=per_number_concurrency))
    session.flush()
    return pool


@dataclass(frozen=True, slots=True)
class PoolChanges:
    """What `update_pool` changes; a field left `UNCHANGED` keeps its value.

    `numbers`: the pool's whole new list (raw, normalised to E.164 here; duplicates dropped);
    `per_number_concurrency`: calls at once per number, for every number of the pool;
    `trunk_id`: None routes the pool to the simulator; `asserted_identity`, `privacy`: None or
    '' sends none (hotlines/identity.py)."""

    numbers: list[str] | Keep = Keep.UNCHANGED
    per_number_concurrency: int | Keep = Keep.UNCHANGED
    trunk_id: str | Keep | None = Keep.UNCHANGED
    advertising_registered: bool | Keep = Keep.UNCHANGED
    asserted_identity: str | Keep | None = Keep.UNCHANGED
    privacy: str | Keep | None = Keep.UNCHANGED


def update_pool(*, session: Session, pool: HotlinePool, changes: PoolChanges) -> HotlinePool:
    """Apply `changes` to `pool` under `create_pool`'s rules, all or nothing (every value is
    checked before any is written). The next claims dial with them; calls in flight on a
    number taken out finish as they are (numbers are counted by value, not by row).

    Withdrawing `advertising_registered` stops the pool's advertising campaigns at their next
    claim (dialer/claims.py checks it before each dial, Decree 91/2020/ND-CP). Raises
    HotlineError naming the field at fault."""
    numbers: list[str] | None = None
    if not isinstance(changes.numbers, Keep):
        numbers = _checked_numbers(changes.numbers)
    concurrency = changes.per_number_concurrency
    if not isinstance(concurrency, Keep):
        _check_concurrency(concurrency)
    if (
        isinstance(changes.trunk_id, str)
        and _visible_trunk(session, changes.trunk_id, pool.account_id) is None
    ):
        raise HotlineError(f"no SIP trunk has id {changes.trunk_id}", field="trunk_id")
    identity_value = (
        pool.asserted_identity if isinstance(changes.asserted_identity, Keep) else changes.asserted_identity
    )
    privacy_value = pool.privacy if isinstance(changes.privacy, Keep) else changes.privacy
    asserted_identity, privacy = _checked_identity(identity_value, privacy_value)

    pool.asserted_identity, pool.privacy = asserted_identity, privacy
    if not isinstance(changes.trunk_id, Keep):
        pool.trunk_id = changes.trunk_id
    if not isinstance(changes.advertising_registered, Keep):
        pool.advertising_registered = changes.advertising_registered
    lines = {h.number: h for h in session.scalars(select(Hotline).where(Hotline.pool_id == pool.id))}
    # Left unchanged, each kept number keeps its own limit, and a new one takes the pool's
    # highest (create_pool gives every number the same).
    added = (
        concurrency
        if not isinstance(concurrency, Keep)
        else max((h.max_concurrent for h in lines.values()), default=10)
    )
    for number in numbers if numbers is not None else list(lines):
        line = lines.pop(number, None)
        if line is None:
            session.add(Hotline(pool_id=pool.id, number=number, max_concurrent=added))
        elif not isinstance(concurrency, Keep):
            line.max_concurrent = concurrency
    if numbers is not None:
        for line in lines.values():  # the numbers not in the new list
            session.delete(line)
    session.flush()
    return pool


def _checked_numbers(numbers: list[str]) -> list[str]:
    """A pool's numbers in E.164, first seen first, duplicates dropped; or HotlineError."""
    if not numbers:
        raise HotlineError("a pool needs at least one number", field="numbers")
    if len(numbers) > MAX_POOL_NUMBERS:
        raise HotlineError(f"a pool holds at most {MAX_POOL_NUMBERS} numbers", field="numbers")
    normalised = []
    for raw in numbers:
        try:
            normalised.append(normalise(raw.strip()))
        except PhoneError as exc:
            raise HotlineError(f"{raw!r}: {exc}", field="numbers") from exc
    return list(dict.fromkeys(normalised))


def _check_concurrency(per_number_concurrency: int) -> None:
    if not 1 <= per_number_concurrency <= MAX_NUMBER_CONCURRENT:
        raise HotlineError(
            f"per-number concurrency must be between 1 and {MAX_NUMBER_CONCURRENT}",
            field="per_number_concurrency",
        )


def _visible_trunk(session: Session, trunk_id: str, account_id: str | None) -> SipTrunk | None:
    """The trunk if the pool's owner may route through it (its own or a shared one)."""
    trunk = session.get(SipTrunk, trunk_id)
    if trunk is None or trunk.account_id not in (None, account_id):
        return None
    return trunk


def set_identity(
    *, session: Session, pool: HotlinePool, asserted_identity: str | None, privacy: str | None
) -> HotlinePool:
    """Replace the pool's P-Asserted-Identity and Privacy (None or '': not sent); the next
    dials carry them. Raises HotlineError naming the field at fault."""
    pool.asserted_identity, pool.privacy = _checked_identity(asserted_identity, privacy)
    session.flush()
    return pool


def _checked_identity(asserted_identity: str | None, privacy: str | None) -> tuple[str | None, str | None]:
    """The two values as stored (blank: None), or HotlineError naming the one at fault."""
    checked: dict[str, str | None] = {}
    for field, value, check in (
        ("asserted_identity", asserted_identity, identity.asserted_identity),
        ("privacy", privacy, identity.privacy),
    ):
        if value is None or not value.strip():
            checked[field] = None
            continue
        try:
            checked[field] = check(value)
        except identity.IdentityError as exc:
            raise HotlineError(f"{field} {exc}", field=field) from None
    return checked["asserted_identity"], checked["privacy"]


def find_pool(*, session: Session, account_id: str, key: str) -> HotlinePool | None:
    """The account's own pool with this key, else a shared one."""
    pools = session.scalars(
        select(HotlinePool).where(
            HotlinePool.key == key,
            or_(HotlinePool.account_id == account_id, HotlinePool.account_id.is_(None)),
        )
    ).all()
    own = [p for p in pools if p.account_id == account_id]
    candidates = own or list(pools)
    return candidates[0] if candidates else None


def visible_pools(*, session: Session, account_id: str) -> Sequence[HotlinePool]:
    """The account's own pools and the shared ones, by key."""
    return session.scalars(
        select(HotlinePool)
        .where(or_(HotlinePool.account_id == account_id, HotlinePool.account_id.is_(None)))
        .order_by(HotlinePool.key)
    ).all()


def account_trunks(*, session: Session, account_id: str) -> Sequence[SipTrunk]:
    """The account's own SIP trunks."""
    return session.scalars(select(SipTrunk).where(SipTrunk.account_id == account_id)).all()


def every_pool(*, session: Session) -> Sequence[HotlinePool]:
    """Every account's pools and the shared ones, by key (the operator's CLI)."""
    return session.scalars(select(HotlinePool).order_by(HotlinePool.key, HotlinePool.id)).all()


def every_trunk(*, session: Session) -> Sequence[SipTrunk]:
    """Every account's SIP trunks and the shared ones (the operator's CLI)."""
    return session.scalars(select(SipTrunk).order_by(SipTrunk.name, SipTrunk.id)).all()


def pool_dict(session: Session, pool: HotlinePool) -> dict[str, Any]:
    """A pool as the API and the CLI show it, with its numbers."""
    lines = session.scalars(select(Hotline).where(Hotline.pool_id == pool.id).order_by(Hotline.number)).all()
    return {
        "id": pool.id,
        "key": pool.key,
        "shared": pool.account_id is None,
        "trunk_id": pool.trunk_id,
        "advertising_registered": pool.advertising_registered,
        "asserted_identity": pool.asserted_identity,
        "privacy": pool.privacy,
        "numbers": [{"number": h.number, "max_concurrent": h.max_concurrent} for h in lines],
    }


def trunk_dict(trunk: SipTrunk) -> dict[str, Any]:
    """A trunk as the API and the CLI show it (never its password)."""
    return {
        "id": trunk.id,
        "name": trunk.name,
        "host": trunk.host,
        "port": trunk.port,
        "transport": trunk.transport,
        "username": trunk.username,
        "register": trunk.register,
        "from_domain": trunk.from_domain,
        "max_concurrent": trunk.max_concurrent,
    }


def pool_lines(*, session: Session, box: SecretBox, pool: HotlinePool) -> PoolLines:
    lines = session.execute(
        select(Hotline.number, Hotline.max_concurrent)
        .where(Hotline.pool_id == pool.id)
        .order_by(Hotline.number)
    ).all()
    trunk = session.get(SipTrunk, pool.trunk_id) if pool.trunk_id else None
    return PoolLines(
        pool_id=pool.id,
        key=pool.key,
        trunk=trunk_config(trunk, box) if trunk else None,
        trunk_capacity=trunk.max_concurrent if trunk else None,
        lines=tuple((row.number, row.max_concurrent) for row in lines),
        asserted_identity=pool.asserted_identity,
        privacy=pool.privacy,
    )


def trunk_config(trunk: SipTrunk, box: SecretBox) -> TrunkConfig:
    return TrunkConfig(
        id=trunk.id,
        host=trunk.host,
        port=trunk.port,
        transport=trunk.transport,
        username=trunk.username,
        password=box.open(trunk.password_encrypted) if trunk.password_encrypted else None,
        register=trunk.register,
        from_domain=trunk.from_domain,
    )
