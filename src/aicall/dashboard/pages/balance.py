"""Balance: what the account holds, what calls in flight reserve, the price, and the ledger.

Admins may top up from here, through the same flow as `aicall balance topup` (campaigns paused
for lack of balance resume). On a self-hosted platform the account's admin is the operator who
pays the carrier, so crediting the prepaid balance is theirs to do; the ledger entry names who
did it.
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from aicall.accounts import balance_view, ledger
from aicall.accounts import flows as account_flows
from aicall.accounts.users import UserRead
from aicall.dashboard.deps import Csrf, CurrentUser
from aicall.dashboard.errors import Forbidden, PageNotFound
from aicall.dashboard.formatting import money
from aicall.dashboard.i18n import Translator
from aicall.dashboard.templating import language_of, render
from aicall.db.keyset import Cursor
from aicall.web.deps import AppState, StateDep

router = APIRouter(dependencies=[Csrf], include_in_schema=False)

NOTICE = "balance.notice"
LEDGER_PAGE_SIZE = 50
MAX_TOPUP = ledger.MAX_TOPUP  # the ledger refuses more; checked here too, to answer in the form
# People write amounts with thousands separators: 1.500.000 (vi), 1,500,000 (en), 1 500 000.
_SEPARATORS = re.compile(r"[.,\s_\u00a0]")

Text = Annotated[str, Form()]


def parse_amount(raw: str) -> int | None:
    """Whole đồng from what a person typed (separators allowed, `đ` too); None if not a number."""
    text = _SEPARATORS.sub("", raw.strip().removesuffix("đ").removesuffix("₫"))
    return int(text) if text.isascii() and text.isdigit() else None


def _page(
    request: Request,
    state: AppState,
    user: UserRead,
    *,
    before: str | None = None,
    errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    with state.db.reading() as session:
        summary = balance_view.summary(session=session, account_id=user.account_id)
        if summary is None:
            raise PageNotFound()
        ledger = balance_view.ledger_page(
            session=session, account_id=user.account_id, before=Cursor.parse(before), limit=LEDGER_PAGE_SIZE
        )
    context = {
        "summary": summary,
        "ledger": ledger,
        "before": before,
        "notice": request.session.pop(NOTICE, None),
        "errors": errors or {},
        "values": values or {},
    }
    return render(request, "balance/page.html", context, status_code=status_code)


@router.get("/balance")
def balance(request: Request, state: StateDep, user: CurrentUser, before: str | None = None) -> HTMLResponse:
    """Balance, reserved, available, price, and the ledger newest first (keyset pages)."""
    return _page(request, state, user, before=before)


@router.post("/balance/topup")
def topup(
    request: Request, state: StateDep, user: CurrentUser, amount: Text = "", note: Text = ""
) -> Response:
    """Credit the account (admins only), as `aicall balance topup` does."""
    if not user.is_admin:
        raise Forbidden()
    _ = Translator(language_of(request))
    lang = language_of(request)
    values = {"amount": amount, "note": note}
    value = parse_amount(amount)
    error = None
    if value is None:
        error = _("Hãy nhập số tiền là số nguyên đồng, ví dụ 500.000.")
    elif value <= 0:
        error = _("Số tiền nạp phải lớn hơn 0.")
    elif value > MAX_TOPUP:
        error = _("Mỗi lần nạp tối đa {limit}.", limit=money(MAX_TOPUP, lang))
    if error is not None or value is None:
        return _page(request, state, user, errors={"amount": error or ""}, values=values, status_code=400)
    text = note.strip()
    # The ledger keeps who credited the account: the CLI's note is the operator's own.
    recorded = f"{text} ({user.email})" if text else user.email
    with state.db.transaction() as session:
        new_balance = account_flows.topup(
            session=session, account_id=user.account_id, amount=value, note=recorded[:500]
        )
    request.session[NOTICE] = _(
        "Đã nạp {amount}. Số dư mới: {balance}.", amount=money(value, lang), balance=money(new_balance, lang)
    )
    return RedirectResponse("/balance", status_code=303)
