"""Contact pages: a campaign's contacts (filters, search, keyset paging), one contact with its
attempts as timelines, and the recordings of the account's calls."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse

from aicall.calls import recordings
from aicall.calls.outcomes import CallOutcome
from aicall.campaigns import contact_detail, contact_pages, overview, queries, waiting
from aicall.campaigns.contact_pages import ContactFilter, Cursor
from aicall.campaigns.models import ContactStatus
from aicall.clock import utc_now
from aicall.dashboard.deps import Csrf, CurrentUser
from aicall.dashboard.errors import PageNotFound
from aicall.dashboard.pages.campaigns import clock
from aicall.dashboard.templating import render
from aicall.errors import NotFound
from aicall.web.deps import StateDep

router = APIRouter(dependencies=[Csrf], include_in_schema=False)

STATUSES = [s.value for s in ContactStatus]
OUTCOMES = [o.value for o in CallOutcome]
SEARCH_LIMIT = 100  # characters of a search: a number or a name, never a document


@router.get("/campaigns/{campaign_id}/contacts")
def contacts(
    request: Request,
    state: StateDep,
    user: CurrentUser,
    campaign_id: str,
    status: str | None = None,
    outcome: str | None = None,
    q: str | None = None,
    after: str | None = None,
    before: str | None = None,
) -> HTMLResponse:
    """One page of the campaign's contacts: `after`/`before` are the cursors of the links."""
    filters = ContactFilter(
        status=status if status in STATUSES else None,
        outcome=outcome if outcome in OUTCOMES else None,
        search=(q or "").strip()[:SEARCH_LIMIT] or None,
    )
    with state.db.reading() as session:
        campaign = overview.campaign_of_account(session, account_id=user.account_id, campaign_id=campaign_id)
        if campaign is None:
            raise PageNotFound()
        found = contact_pages.page(
            session,
            campaign_id=campaign.id,
            filters=filters,
            after=Cursor.parse(after),
            before=None if after else Cursor.parse(before),
        )
        names = overview.field_names(session, scenario_id=campaign.scenario_id)
    context = {
        "campaign": campaign,
        "field_names": names,
        "page": found,
        "filters": filters,
        "statuses": STATUSES,
        "outcomes": OUTCOMES,
    }
    return render(request, "contacts/list.html", context)


@router.get("/contacts/{contact_id}")
def contact_page(request: Request, state: StateDep, user: CurrentUser, contact_id: str) -> HTMLResponse:
    """A contact: its tags, why it waits, and each attempt as a timeline (keys pressed, words
    heard and their intent) with its answering-machine verdict and its recording."""
    now = utc_now()
    with state.db.reading() as session:
        contact = contact_detail.contact_of_account(
            session, account_id=user.account_id, contact_id=contact_id
        )
        if contact is None:
            raise PageNotFound()
        campaign = overview.campaign_of_account(
            session, account_id=user.account_id, campaign_id=contact.campaign_id
        )
        attempts = contact_detail.attempts_of(session, contact_id=contact.id)
        names = overview.field_names(session, scenario_id=campaign.scenario_id if campaign else None)
        held = (
            waiting.for_contact(
                status=contact.status,
                next_attempt_at=contact.next_attempt_at,
                campaign=queries.waiting_of(session, campaign, now=now),
                now=now,
            )
            if campaign is not None
            else None
        )
    context = {
        "contact": contact,
        "campaign": campaign,
        "field_names": names,
        "attempts": [
            {
                "attempt": a,
                "steps": contact_detail.timeline(a),
                "path": contact_detail.path_labels(a),
                "amd": contact_detail.detection(a),
            }
            for a in reversed(attempts)  # the latest first: what a person opens the page for
        ],
        "waiting": held,
        "live": contact.status in (ContactStatus.CALLING.value, ContactStatus.PENDING.value),
        "clock": clock,
    }
    return render(request, "contacts/detail.html", context)


@router.get("/recordings/{attempt_id}")
def recording(state: StateDep, user: CurrentUser, attempt_id: str) -> FileResponse:
    """The WAV recording of one of the account's calls (another account's: the 404 page)."""
    with state.db.reading() as session:
        try:
            path = recordings.recording_file(session, attempt_id=attempt_id, account_id=user.account_id)
        except NotFound as exc:
            raise PageNotFound() from exc
    return FileResponse(
        path, media_type="audio/wav", filename=f"{attempt_id}.wav", content_disposition_type="inline"
    )
