"""Campaign pages: the list with live progress."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from aicall.campaigns import overview
from aicall.dashboard.deps import Csrf, CurrentUser
from aicall.dashboard.templating import render
from aicall.web.deps import StateDep

router = APIRouter(dependencies=[Csrf], include_in_schema=False)


@router.get("/campaigns")
def campaigns(request: Request, state: StateDep, user: CurrentUser) -> HTMLResponse:
    """Every campaign of the user's account; the table refreshes itself (htmx, every 2 s)."""
    with state.db.reading() as session:
        rows = overview.list_for_account(session, account_id=user.account_id)
    template = "campaigns/_table.html" if request.headers.get("HX-Request") else "campaigns/list.html"
    return render(request, template, {"campaigns": rows})
