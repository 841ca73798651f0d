"""Bulk loads of Do-Not-Call numbers: whole files or nothing, bad lines named, repeats counted."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from aicall.clock import utc_now
from aicall.compliance import dnc
from aicall.compliance.models import DncEntry
from aicall.compliance.rules import DncSource
from aicall.dialer import do_not_call
from aicall.errors import ValidationFailed


def _count(db, account_id: str) -> int:
    with db.reading() as session:
        return session.scalar(select(func.count()).where(DncEntry.account_id == account_id)) or 0


def test_a_file_with_invalid_lines_is_refused_whole_with_each_line_named():
    text = "so_dien_thoai\n0987654321\n\n12345\n0912345678,Nguyen Van A\nnot a number\n"
    with pytest.raises(ValidationFailed) as caught:
        dnc.read_numbers(dnc.lines_of(io.BytesIO(text.encode())), region="VN")
    assert caught.value.message.startswith("Validation Failed: 2 invalid numbers, nothing was listed: line 4")
    assert [d["field"] for d in caught.value.details] == ["line 4", "line 6"]


def test_a_file_loads_its_first_column_with_a_header_bom_and_repeats(db, tenant):
    text = "\ufeffphone\n0987654321\n+84912345678;x\n0987654321\n\t\n"
    phones = dnc.read_numbers(dnc.lines_of(io.BytesIO(text.encode())), region="VN")
    assert phones == ["+84987654321", "+84912345678"]
    with db.transaction() as session:
        first = do_not_call.add(
            session,
            account_id=tenant.account_id,
            phones=phones,
            source=DncSource.NATIONAL_REGISTER,
            now=utc_now(),
        )
    with db.transaction() as session:
        second = do_not_call.add(
            session, account_id=tenant.account_id, phones=phones, source=DncSource.IMPORT, now=utc_now()
        )
    assert (first.added, first.already_listed) == (2, 0)
    assert (second.added, second.already_listed) == (0, 2)
    with db.reading() as session:
        sources = set(session.scalars(select(DncEntry.source)))
    assert sources == {"national_register"}  # the first entry is kept


def test_a_large_load_is_batched_and_counted_by_the_database(db, tenant):
    phones = [f"+8498{n:07d}" for n in range(12_345)]
    with db.transaction() as session:
        dnc.add(session, account_id=tenant.account_id, phones=phones[:100], source=DncSource.IMPORT)
    with db.transaction() as session:
        added = dnc.add(session, account_id=tenant.account_id, phones=phones, source=DncSource.IMPORT)
    assert (added.added, added.already_listed) == (12_245, 100)
    assert _count(db, tenant.account_id) == 12_345
    with db.reading() as session:
        assert dnc.listed(session, account_id=tenant.account_id, phones=[phones[0], "+84900000000"]) == {
            phones[0]
        }
