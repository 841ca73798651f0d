"""Telephony: the account's SIP trunks and the hotline pools it may dial from.

Trunks and pools are created and edited through `hotlines.service`, under the rules the CLI
and the public API apply. Only the account's own trunks and pools have an edit page: a shared
one (the platform operator's, `aicall pool`) answers the same 404 as another account's, as the
API's PATCH refuses it. A trunk's password is write-only: no page ever carries it,
not even the edit form, whose password field stays empty ("leave empty to keep"). A form sent
back with an error keeps everything typed except the password, for the same reason.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from aicall.accounts.users import UserRead
from aicall.dashboard import reasons
from aicall.dashboard.deps import Csrf, CurrentUser
from aicall.dashboard.errors import Forbidden, PageNotFound
from aicall.dashboard.i18n import Translator
from aicall.dashboard.templating import language_of, render
from aicall.hotlines import account_view
from aicall.hotlines import service as hotline_service
from aicall.hotlines.account_view import TrunkRow
from aicall.hotlines.models import HotlinePool
from aicall.web.deps import AppState, StateDep

router = APIRouter(dependencies=[Csrf], include_in_schema=False)

NOTICE = "telephony.notice"
TRUNK_FIELDS = ("name", "host", "port", "transport", "username", "from_domain", "max_concurrent")
_NUMBER_SEPARATORS = re.compile(r"[,;\n]+")

Text = Annotated[str, Form()]
Flag = Annotated[bool, Form()]
# A form field named `register` would shadow BaseModel.register in the body model FastAPI builds.
RegisterFlag = Annotated[bool, Form(alias="register")]


def _require_admin(user: UserRead) -> None:
    if not user.is_admin:
        raise Forbidden()


def _whole(raw: str) -> int | None:
    text = raw.strip()
    return int(text) if text.isascii() and text.isdigit() else None


def _trunk_form(_: Translator, *, port: str, max_concurrent: str) -> tuple[dict[str, int], dict[str, str]]:
    """The form's numbers as ints, or errors for those that are not whole numbers."""
    numbers: dict[str, int] = {}
    errors: dict[str, str] = {}
    for name, raw in (("port", port), ("max_concurrent", max_concurrent)):
        value = _whole(raw)
        if value is None:
            errors[name] = _("Hãy nhập một số nguyên.")
        else:
            numbers[name] = value
    return numbers, errors


def _service_error(_: Translator, exc: hotline_service.HotlineError, default: str) -> dict[str, str]:
    """The service's reason next to the field it names, in the page's language (`reasons`); one
    no rule knows in the CLI's and API's words, after "Không hợp lệ"."""
    said = reasons.translate(str(exc), _)
    return {exc.field or default: said if said is not None else f"{_('Không hợp lệ')}: {exc}"}


def _page(
    request: Request,
    state: AppState,
    user: UserRead,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, object] | None = None,
    form: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    with state.db.reading() as session:
        trunks = account_view.trunks(session=session, account_id=user.account_id)
        pools = account_view.pools(session=session, account_id=user.account_id)
    context = {
        "trunks": trunks,
        "pools": pools,
        "notice": request.session.pop(NOTICE, None),
        # Errors and values belong to the one form that was sent (`form`: "trunk" or "pool").
        "form": form,
        "errors": errors or {},
        "values": values or {},
    }
    return render(request, "telephony/page.html", context, status_code=status_code)


@router.get("/telephony")
def telephony(request: Request, state: StateDep, user: CurrentUser) -> HTMLResponse:
    """Own trunks, own and shared pools; for admins, the forms that add them."""
    return _page(request, state, user)


@router.post("/telephony/trunks")
def create_trunk(
    request: Request,
    state: StateDep,
    user: CurrentUser,
    name: Text = "",
    host: Text = "",
    port: Text = "5060",
    transport: Text = "udp",
    username: Text = "",
    password: Text = "",
    register_with_trunk: RegisterFlag = False,
    from_domain: Text = "",
    max_concurrent: Text = "100",
) -> Response:
    """Add a SIP trunk to the account, as `aicall trunk create --app` and the API do."""
    _require_admin(user)
    _ = Translator(language_of(request))
    values: dict[str, object] = {
        "name": name,
        "host": host,
        "port": port,
        "transport": transport,
        "username": username,
        "register": register_with_trunk,
        "from_domain": from_domain,
        "max_concurrent": max_concurrent,
    }
    numbers, errors = _trunk_form(_, port=port, max_concurrent=max_concurrent)
    if not errors:
        try:
            with state.db.transaction() as session:
                hotline_service.create_trunk(
                    session=session,
                    box=state.box,
                    account_id=user.account_id,
                    name=name.strip(),
                    host=host,
                    port=numbers["port"],
                    transport=transport,
                    username=username.strip() or None,
                    password=password or None,
                    register=register_with_trunk,
                    from_domain=from_domain.strip() or None,
                    max_concurrent=numbers["max_concurrent"],
                    allow_private=state.settings.sip_allow_private,
                )
        except hotline_service.HotlineError as exc:
            errors = _service_error(_, exc, "host")
    if errors:
        return _page(request, state, user, errors=errors, values=values, form="trunk", status_code=400)
    request.session[NOTICE] = _("Đã thêm trunk SIP {host}.", host=host.strip())
    return RedirectResponse("/telephony#trunks", status_code=303)


def _trunk(state: AppState, user: UserRead, trunk_id: str) -> TrunkRow:
    with state.db.reading() as session:
        trunk = account_view.trunk_of_account(session=session, account_id=user.account_id, trunk_id=trunk_id)
    if trunk is None:
        raise PageNotFound()
    return trunk


def _trunk_page(
    request: Request,
    trunk: TrunkRow,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, object] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    if values is None:
        values = {field: getattr(trunk, field) for field in TRUNK_FIELDS}
        values["register"] = trunk.register
    context = {"trunk": trunk, "errors": errors or {}, "values": values}
    return render(request, "telephony/trunk.html", context, status_code=status_code)


@router.get("/telephony/trunks/{trunk_id}")
def trunk_page(request: Request, state: StateDep, user: CurrentUser, trunk_id: str) -> HTMLResponse:
    """One of the account's trunks; admins edit it here (the password field is always empty)."""
    return _trunk_page(request, _trunk(state, user, trunk_id))


@router.post("/telephony/trunks/{trunk_id}")
def update_trunk(
    request: Request,
    state: StateDep,
    user: CurrentUser,
    trunk_id: str,
    name: Text = "",
    host: Text = "",
    port: Text = "",
    transport: Text = "udp",
    username: Text = "",
    password: Text = "",
    clear_password: Flag = False,
    register_with_trunk: RegisterFlag = False,
    from_domain: Text = "",
    max_concurrent: Text = "",
) -> Response:
    """Change a trunk under the creation rules; an empty password keeps the stored one."""
    _require_admin(user)
    _ = Translator(language_of(request))
    trunk = _trunk(state, user, trunk_id)
    values: dict[str, object] = {
        "name": name,
        "host": host,
        "port": port,
        "transport": transport,
        "username": username,
        "register": register_with_trunk,
        "from_domain": from_domain,
        "max_concurrent": max_concurrent,
    }
    numbers, errors = _trunk_form(_, port=port, max_concurrent=max_concurrent)
    new_password: str | hotline_service.Keep | None = hotline_service.KEEP_PASSWORD
    if clear_password:
        new_password = None
    elif password:
        new_password = password
    if not errors:
        try:
            with state.db.transaction() as session:
                hotline_service.update_trunk(
                    session=session,
                    box=state.box,
                    trunk_id=trunk.id,
                    name=name.strip(),
                    host=host,
                    port=numbers["port"],
                    transport=transport,
                    username=username.strip() or None,
                    password=new_password,
                    register=register_with_trunk,
                    from_domain=from_domain.strip() or None,
                    max_concurrent=numbers["max_concurrent"],
                    allow_private=state.settings.sip_allow_private,
                )
        except hotline_service.HotlineError as exc:
            errors = _service_error(_, exc, "host")
    if errors:
        return _trunk_page(request, trunk, errors=errors, values=values, status_code=400)
    request.session[NOTICE] = _("Đã lưu trunk SIP {host}.", host=host.strip())
    return RedirectResponse("/telephony#trunks", status_code=303)


@router.post("/telephony/pools")
def create_pool(
    request: Request,
    state: StateDep,
    user: CurrentUser,
    key: Text = "",
    numbers: Text = "",
    trunk_id: Text = "",
    per_number_concurrency: Text = "10",
) -> Response:
    """Add a pool of caller numbers to the account, as the API's `POST /hotline-pools` does."""
    _require_admin(user)
    _ = Translator(language_of(request))
    values: dict[str, object] = {
        "key": key,
        "numbers": numbers,
        "trunk_id": trunk_id,
        "per_number_concurrency": per_number_concurrency,
    }
    errors: dict[str, str] = {}
    concurrency = _whole(per_number_concurrency)
    if concurrency is None:
        errors["per_number_concurrency"] = _("Hãy nhập một số nguyên.")
    listed = [part.strip() for part in _NUMBER_SEPARATORS.split(numbers) if part.strip()]
    chosen_trunk = trunk_id.strip() or None
    if not errors and concurrency is not None:
        try:
            with state.db.transaction() as session:
                if chosen_trunk is not None and not account_view.usable_trunk(
                    session=session, account_id=user.account_id, trunk_id=chosen_trunk
                ):
                    raise hotline_service.HotlineError(
                        f"no SIP trunk has id {chosen_trunk}", field="trunk_id"
                    )
                hotline_service.create_pool(
                    session=session,
                    key=key,
                    numbers=listed,
                    trunk_id=chosen_trunk,
                    account_id=user.account_id,
                    per_number_concurrency=concurrency,
                )
        except hotline_service.HotlineError as exc:
            errors = _service_error(_, exc, "key")
    if errors:
        return _page(request, state, user, errors=errors, values=values, form="pool", status_code=400)
    request.session[NOTICE] = _("Đã thêm nhóm số {key}.", key=key.strip())
    return RedirectResponse("/telephony#pools", status_code=303)


@dataclass(frozen=True, slots=True)
class _OwnPool:
    """One of the account's own pools as its edit page shows it.

    `numbers`: (E.164 number, calls at once) by number."""

    id: str
    key: str
    trunk_id: str | None
    trunk_name: str | None  # None: the simulator, or a shared trunk (`trunk_shared`)
    trunk_shared: bool
    advertising_registered: bool
    asserted_identity: str | None
    privacy: str | None
    numbers: tuple[tuple[str, int], ...]

    @property
    def concurrency(self) -> int:
        """What the form offers: the highest of its numbers' limits (10 with no numbers)."""
        return max((limit for _, limit in self.numbers), default=10)

    @property
    def mixed_limits(self) -> bool:
        """Its numbers have different limits (set apart by the CLI); a save sets one for all."""
        return len({limit for _, limit in self.numbers}) > 1


def _pool(state: AppState, user: UserRead, pool_id: str) -> _OwnPool:
    """The account's own pool, or PageNotFound (missing, shared or another account's)."""
    with state.db.reading() as session:
        pool = session.scalars(
            select(HotlinePool).where(HotlinePool.id == pool_id, HotlinePool.account_id == user.account_id)
        ).first()
        if pool is None:
            raise PageNotFound()
        row = next(
            p for p in account_view.pools(session=session, account_id=user.account_id) if p.id == pool.id
        )
        return _OwnPool(
            id=pool.id,
            key=pool.key,
            trunk_id=pool.trunk_id,
            trunk_name=row.trunk_name,
            trunk_shared=row.trunk_shared,
            advertising_registered=pool.advertising_registered,
            asserted_identity=pool.asserted_identity,
            privacy=pool.privacy,
            numbers=row.numbers,
        )


def _pool_page(
    request: Request,
    state: AppState,
    user: UserRead,
    pool: _OwnPool,
    *,
    errors: dict[str, str] | None = None,
    values: dict[str, object] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    if values is None:
        values = {
            "numbers": "\n".join(number for number, _ in pool.numbers),
            "trunk_id": pool.trunk_id or "",
            "per_number_concurrency": str(pool.concurrency),
            "advertising_registered": pool.advertising_registered,
            "asserted_identity": pool.asserted_identity or "",
            "privacy": pool.privacy or "",
        }
    with state.db.reading() as session:
        trunks = account_view.trunks(session=session, account_id=user.account_id)
    context = {"pool": pool, "trunks": trunks, "errors": errors or {}, "values": values}
    return render(request, "telephony/pool.html", context, status_code=status_code)


@router.get("/telephony/pools/{pool_id}")
def pool_page(request: Request, state: StateDep, user: CurrentUser, pool_id: str) -> HTMLResponse:
    """One of the account's own pools; admins edit it here, members see its settings."""
    return _pool_page(request, state, user, _pool(state, user, pool_id))


@router.post("/telephony/pools/{pool_id}")
def update_pool(
    request: Request,
    state: StateDep,
    user: CurrentUser,
    pool_id: str,
    numbers: Text = "",
    trunk_id: Text = "",
    per_number_concurrency: Text = "",
    advertising_registered: Flag = False,
    asserted_identity: Text = "",
    privacy: Text = "",
) -> Response:
    """Change a pool in place under the creation rules (`hotline_service.update_pool`, as the
    API's `PATCH /hotline-pools/{id}`), all or nothing. Numbers: the whole new list, one per line
    (commas and semicolons also split); the concurrency is set for every number; an empty
    identity or privacy sends none. The key is not changed: campaigns name the pool by it."""
    _require_admin(user)
    _ = Translator(language_of(request))
    pool = _pool(state, user, pool_id)
    values: dict[str, object] = {
        "numbers": numbers,
        "trunk_id": trunk_id,
        "per_number_concurrency": per_number_concurrency,
        "advertising_registered": advertising_registered,
        "asserted_identity": asserted_identity,
        "privacy": privacy,
    }
    errors: dict[str, str] = {}
    concurrency = _whole(per_number_concurrency)
    if concurrency is None:
        errors["per_number_concurrency"] = _("Hãy nhập một số nguyên.")
    else:
        changes = hotline_service.PoolChanges(
            numbers=[part.strip() for part in _NUMBER_SEPARATORS.split(numbers) if part.strip()],
            per_number_concurrency=concurrency,
            trunk_id=trunk_id.strip() or None,
            advertising_registered=advertising_registered,
            asserted_identity=asserted_identity.strip() or None,
            privacy=privacy.strip() or None,
        )
        try:
            with state.db.transaction() as session:
                stored = session.get(HotlinePool, pool.id)
                if stored is None or stored.account_id != user.account_id:  # removed meanwhile
                    raise PageNotFound()
                hotline_service.update_pool(session=session, pool=stored, changes=changes)
        except hotline_service.HotlineError as exc:
            errors = _service_error(_, exc, "numbers")
    if errors:
        return _pool_page(request, state, user, pool, errors=errors, values=values, status_code=400)
    request.session[NOTICE] = _("Đã lưu nhóm số {key}.", key=pool.key)
    return RedirectResponse("/telephony#pools", status_code=303)
