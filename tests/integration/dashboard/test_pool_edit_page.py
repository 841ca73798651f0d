"""A hotline pool edited on the dashboard over real HTTP, on SQLite and PostgreSQL: the form is
prefilled (numbers one per line), a save goes through `hotline_service.update_pool` as the API's
PATCH does, a bad value is refused next to its field with everything typed kept and nothing
written, members look but cannot save, and another account's or a shared pool is 404."""

from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import select

from aicall.hotlines import service as hotline_service
from aicall.hotlines.models import Hotline, HotlinePool, SipTrunk
from tests.integration.dashboard import test_admin_pages
from tests.integration.dashboard.test_admin_pages import People, field_error, input_value, location

people = test_admin_pages.people  # the signed-in admin, member and stranger (a fixture)

Stored = tuple[str | None, bool, str | None, str | None, list[tuple[str, int]]]


def _own_pool(people: People) -> str:
    """CSKH: two numbers at 4 calls each, on the simulator, no identity."""
    with people.db.transaction() as session:
        pool = hotline_service.create_pool(
            session=session,
            key="CSKH",
            numbers=["+842873001234", "+842873001235"],
            account_id=people.tenant.account_id,
            per_number_concurrency=4,
        )
        return pool.id


def _stored(people: People, pool_id: str) -> Stored:
    """(trunk, advertising registered, P-Asserted-Identity, Privacy, [(number, calls at once)])."""
    with people.db.reading() as session:
        pool = session.get(HotlinePool, pool_id)
        assert pool is not None
        lines = session.execute(
            select(Hotline.number, Hotline.max_concurrent)
            .where(Hotline.pool_id == pool_id)
            .order_by(Hotline.number)
        ).all()
        return (
            pool.trunk_id,
            pool.advertising_registered,
            pool.asserted_identity,
            pool.privacy,
            [(number, limit) for number, limit in lines],
        )


def _textarea(html: str, name: str) -> str:
    found = re.search(rf'<textarea[^>]*\bname="{name}"[^>]*>(.*?)</textarea>', html, re.S)
    assert found is not None, f"no textarea {name}"
    return unescape(found.group(1))


def _form(**changes: str) -> dict[str, str | list[str]]:
    return {
        "numbers": "+842873001234\n028 7300 1236",
        "trunk_id": "",
        "per_number_concurrency": "6",
        "asserted_identity": "",
        "privacy": "",
        **changes,
    }


def test_an_admin_changes_a_pools_numbers_trunk_concurrency_and_caller_identity(people: People) -> None:
    pool_id = _own_pool(people)
    listing = people.admin.get("/telephony").text
    assert f'href="/telephony/pools/{pool_id}"' in listing
    edit = people.admin.get(f"/telephony/pools/{pool_id}").text
    assert _textarea(edit, "numbers") == "+842873001234\n+842873001235"
    assert input_value(edit, "per_number_concurrency") == "4"
    location(
        people.admin.post(
            "/telephony/trunks",
            {"name": "Viettel", "host": "sip.example.vn", "port": "5060", "max_concurrent": "30"},
        )
    )
    with people.db.reading() as session:
        trunk_id = session.scalars(select(SipTrunk.id)).one()
    saved = people.admin.post(
        f"/telephony/pools/{pool_id}",
        _form(
            trunk_id=trunk_id,
            advertising_registered="true",
            asserted_identity="sip:+842873001234@sip.example.vn",
            privacy="id",
        ),
    )
    assert location(saved) == "/telephony#pools"
    assert _stored(people, pool_id) == (
        trunk_id,
        True,
        "sip:+842873001234@sip.example.vn",
        "id",
        [("+842873001234", 6), ("+842873001236", 6)],
    )
    page = people.admin.get("/telephony").text
    assert "Đã lưu nhóm số CSKH." in page and "+842873001236" in page and "+842873001235" not in page
    again = people.admin.get(f"/telephony/pools/{pool_id}").text
    assert f'<option value="{trunk_id}" selected>' in again
    assert re.search(r'name="advertising_registered" value="true" role="switch" checked', again)
    assert input_value(again, "privacy") == "id"


@pytest.mark.parametrize(
    ("field", "typed", "error"),
    [
        ("numbers", "+842873001234\n0287300123x", "'0287300123x'"),
        ("numbers", "", "Nhóm số cần ít nhất một số gọi ra."),
        ("per_number_concurrency", "bốn", "Hãy nhập một số nguyên."),
        ("per_number_concurrency", "0", "Số cuộc gọi cùng lúc mỗi số phải từ 1 đến"),
        ("asserted_identity", "http://example.vn/me", "Phải là URI sip:, sips: hoặc tel:"),
        ("privacy", "everything", "không phải giá trị Privacy"),
        ("trunk_id", "000000000000000000000000", "Không có trunk SIP nào mã"),
    ],
)
def test_a_bad_value_is_refused_next_to_its_field_kept_and_nothing_is_written(
    people: People, field: str, typed: str, error: str
) -> None:
    pool_id = _own_pool(people)
    before = _stored(people, pool_id)
    refused = people.admin.post(
        f"/telephony/pools/{pool_id}", _form(**{field: typed}, advertising_registered="true")
    )
    assert refused.status_code == 400
    shown = field_error(refused.text, field)
    assert error in shown
    assert _textarea(refused.text, "numbers") == (
        typed if field == "numbers" else "+842873001234\n028 7300 1236"
    )
    assert input_value(refused.text, "per_number_concurrency") == (
        typed if field == "per_number_concurrency" else "6"
    )
    assert 'name="advertising_registered" value="true" role="switch" checked' in refused.text
    assert _stored(people, pool_id) == before


def test_numbers_with_different_limits_are_offered_the_highest_and_all_get_the_saved_one(
    people: People,
) -> None:
    pool_id = _own_pool(people)
    with people.db.transaction() as session:
        line = session.scalars(select(Hotline).where(Hotline.number == "+842873001235")).one()
        line.max_concurrent = 9  # as `aicall pool` may set one number apart
    edit = people.admin.get(f"/telephony/pools/{pool_id}").text
    assert input_value(edit, "per_number_concurrency") == "9"
    assert "Các số đang có giới hạn khác nhau; khi lưu, mọi số nhận giá trị này." in edit
    numbers = "+842873001234\n+842873001235\n+842873001237"
    location(
        people.admin.post(f"/telephony/pools/{pool_id}", _form(numbers=numbers, per_number_concurrency="7"))
    )
    assert _stored(people, pool_id)[4] == [("+842873001234", 7), ("+842873001235", 7), ("+842873001237", 7)]


def test_a_member_sees_the_pool_but_cannot_change_it(people: People) -> None:
    pool_id = _own_pool(people)
    before = _stored(people, pool_id)
    page = people.member.get(f"/telephony/pools/{pool_id}")
    assert page.status_code == 200 and 'id="pool-form"' not in page.text and "+842873001235" in page.text
    assert people.member.post(f"/telephony/pools/{pool_id}", _form()).status_code == 403
    assert _stored(people, pool_id) == before


def test_another_accounts_pool_and_a_shared_pool_are_not_found(people: People) -> None:
    with people.db.transaction() as session:
        theirs = hotline_service.create_pool(
            session=session, key="B_POOL", numbers=["+842873009999"], account_id=people.other.account_id
        ).id
        shared = hotline_service.ensure_system_pool(session=session).id
    for pool_id in (theirs, shared, "000000000000000000000000"):
        assert people.admin.get(f"/telephony/pools/{pool_id}").status_code == 404, pool_id
        assert people.admin.post(f"/telephony/pools/{pool_id}", _form()).status_code == 404, pool_id
    assert f'href="/telephony/pools/{shared}"' not in people.admin.get("/telephony").text
    for pool_id in (theirs, shared):
        with people.db.reading() as session:
            numbers = session.scalars(select(Hotline.number).where(Hotline.pool_id == pool_id)).all()
        assert "+842873001236" not in numbers
