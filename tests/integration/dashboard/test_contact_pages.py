"""The contacts table's queries on SQLite and PostgreSQL: keyset pages in import order, filters,
search by number or by a Vietnamese name, and nothing of another account."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert

from aicall.campaigns import contact_detail, contact_pages, overview
from aicall.campaigns.contact_pages import ContactFilter, Cursor
from aicall.campaigns.models import Contact
from aicall.db.engine import Database
from tests.integration.support import Tenant, make_tenant

T0 = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def add(db: Database, tenant: Tenant, rows: list[dict[str, Any]]) -> list[str]:
    """Insert contacts as an import does; `rows` give phone, tags, status, created_at..."""
    stored = []
    for row in rows:
        phone = row["phone"]
        stored.append(
            {
                "id": str(uuid.uuid4()),
                "campaign_id": tenant.campaign_id,
                "application_id": tenant.application_id,
                "dedupe_key": phone,
                "tags": {},
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": T0,
                "created_at": T0,
                "updated_at": T0,
                **row,
            }
        )
    with db.transaction() as session:
        session.execute(insert(Contact), stored)
    return [r["id"] for r in stored]


def batch(db: Database, tenant: Tenant, count: int, *, batches: int = 3) -> list[str]:
    """`count` contacts in `batches` imports: rows of one import share their created_at, as the
    API stores them, so the id breaks the ties."""
    rows = [
        {
            "phone": f"+8498{n:07d}",
            "created_at": T0 + timedelta(seconds=n * batches // count),
            "tags": {"ho_ten": f"Khách {n}"},
        }
        for n in range(count)
    ]
    add(db, tenant, rows)
    return [r["phone"] for r in rows]


def walk(db: Database, campaign_id: str, filters: ContactFilter, size: int) -> list[str]:
    """Every phone, following the `next` links from the first page."""
    seen: list[str] = []
    after: Cursor | None = None
    with db.reading() as session:
        while True:
            page = contact_pages.page(
                session, campaign_id=campaign_id, filters=filters, after=after, size=size
            )
            seen += [row.phone for row in page.rows]
            if page.next is None:
                return seen
            after = page.next


def test_pages_follow_import_order_without_gaps_or_repeats(db: Database, tenant: Tenant) -> None:
    batch(db, tenant, 23)
    walked = walk(db, tenant.campaign_id, ContactFilter(), size=5)
    with db.reading() as session:
        one_page = contact_pages.page(
            session, campaign_id=tenant.campaign_id, filters=ContactFilter(), size=100
        )
    assert walked == [row.phone for row in one_page.rows]
    assert len(set(walked)) == 23
    assert one_page.next is None and one_page.previous is None


def test_previous_links_walk_back_to_the_first_page(db: Database, tenant: Tenant) -> None:
    batch(db, tenant, 12)
    with db.reading() as session:
        first = contact_pages.page(session, campaign_id=tenant.campaign_id, filters=ContactFilter(), size=5)
        second = contact_pages.page(
            session, campaign_id=tenant.campaign_id, filters=ContactFilter(), after=first.next, size=5
        )
        third = contact_pages.page(
            session, campaign_id=tenant.campaign_id, filters=ContactFilter(), after=second.next, size=5
        )
        back = contact_pages.page(
            session, campaign_id=tenant.campaign_id, filters=ContactFilter(), before=third.previous, size=5
        )
        start = contact_pages.page(
            session, campaign_id=tenant.campaign_id, filters=ContactFilter(), before=back.previous, size=5
        )
    assert len(third.rows) == 2 and third.next is None
    assert [r.id for r in back.rows] == [r.id for r in second.rows]
    assert [r.id for r in start.rows] == [r.id for r in first.rows]
    assert start.previous is None
    assert back.next is not None


def test_cursor_tokens_survive_a_url_and_nonsense_is_the_first_page() -> None:
    cursor = Cursor(datetime(2026, 11, 30, 8, 0, 0, 123456, tzinfo=UTC), str(uuid.uuid4()))
    assert Cursor.parse(cursor.token()) == cursor
    for bad in (None, "", "abc", "1.2.3", "99999999999999999999.x", "1.'; drop table contacts"):
        assert Cursor.parse(bad) is None


def test_filters_by_status_and_last_outcome(db: Database, tenant: Tenant) -> None:
    add(
        db,
        tenant,
        [
            {"phone": "+84981000001", "status": "done", "last_outcome": "answered"},
            {"phone": "+84981000002", "status": "retry_wait", "last_outcome": "busy"},
            {"phone": "+84981000003", "status": "failed", "last_outcome": "busy"},
            {"phone": "+84981000004"},
        ],
    )
    assert walk(db, tenant.campaign_id, ContactFilter(status="done"), 10) == ["+84981000001"]
    assert sorted(walk(db, tenant.campaign_id, ContactFilter(outcome="busy"), 10)) == [
        "+84981000002",
        "+84981000003",
    ]
    assert walk(db, tenant.campaign_id, ContactFilter(status="failed", outcome="busy"), 10) == [
        "+84981000003"
    ]


def test_search_finds_numbers_as_people_write_them_and_names_with_diacritics(
    db: Database, tenant: Tenant
) -> None:
    add(
        db,
        tenant,
        [
            {"phone": "+84987654321", "tags": {"ho_ten": "Nguyễn Thị Hồng", "so_tien": "150000"}},
            {"phone": "+84912345678", "tags": {"ho_ten": "Trần Văn Bình", "so_tien": "99"}},
            {"phone": "+84331234567", "tags": {"ho_ten": "Lê 100% Đúng_x"}},
        ],
    )

    def search(text: str) -> list[str]:
        return walk(db, tenant.campaign_id, ContactFilter(search=text), 10)

    assert search("0987654321") == ["+84987654321"]
    assert search("0987 654") == ["+84987654321"]
    assert search("+84912345678") == ["+84912345678"]
    assert search("345678") == ["+84912345678"]
    assert search("Bình 345") == []  # words with digits are a name, not a number to look for
    assert search("Hồng") == ["+84987654321"]
    assert search("văn bình") == ["+84912345678"]  # ASCII letters in any case
    assert search("150000") == ["+84987654321"]
    assert search("100%") == ["+84331234567"]  # a % is a character, not a wildcard
    assert search("B_nh") == []  # and _ is not "any character" (it would find Bình)
    assert search("ho_ten") == []  # keys are not searched
    assert search("Lê 100% Đúng_x") == ["+84331234567"]  # ASCII and not, % and _ together
    assert search('Đúng_x"') == []  # a quote is searched as a quote (JSON escapes it)
    assert search("n Thị H") == ["+84987654321"]  # an ASCII run split by Vietnamese letters


def test_another_accounts_campaign_and_contacts_are_not_found(db: Database, tenant: Tenant) -> None:
    other = make_tenant(db, "Other")
    [contact_id] = add(db, other, [{"phone": "+84981000009"}])
    with db.reading() as session:
        account = overview.campaign_of_account(
            session, account_id=tenant.account_id, campaign_id=other.campaign_id
        )
        own = overview.campaign_of_account(
            session, account_id=other.account_id, campaign_id=other.campaign_id
        )
        contact = contact_detail.contact_of_account(
            session, account_id=tenant.account_id, contact_id=contact_id
        )
        mine = contact_detail.contact_of_account(session, account_id=other.account_id, contact_id=contact_id)
        listed = overview.list_for_account(session, account_id=tenant.account_id)
    assert account is None and contact is None
    assert own is not None and mine is not None
    assert [row.id for row in listed] == [tenant.campaign_id]
