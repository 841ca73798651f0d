"""Structured logs: bound ids on every line, phone numbers masked, secrets never written."""

from __future__ import annotations

import io
import json
import logging

import pytest

from aicall.observability import logging as logs


@pytest.fixture
def json_lines():
    stream = io.StringIO()
    logs.configure(fmt="json", stream=stream)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    logs.reset()


def test_json_lines_carry_the_bound_ids_of_the_work(json_lines):
    log = logs.get_logger("aicall.test")
    with logs.bound(account_id="acc", campaign_id="cmp", contact_id="ct", attempt_id="att"):
        log.info("call finished", outcome="answered")
    log.info("outside")
    inside, outside = json_lines()
    assert (
        inside["event"] == "call finished" and inside["level"] == "info" and inside["logger"] == "aicall.test"
    )
    assert {k: inside[k] for k in ("account_id", "campaign_id", "contact_id", "attempt_id")} == {
        "account_id": "acc",
        "campaign_id": "cmp",
        "contact_id": "ct",
        "attempt_id": "att",
    }
    assert "campaign_id" not in outside


def test_phone_numbers_are_masked_in_fields_messages_and_tracebacks(json_lines):
    log = logs.get_logger("aicall.test")
    log.info("dialling", phone="+84987654321", numbers=["0912345678"])
    try:
        raise RuntimeError("no route to +84987654321")
    except RuntimeError:
        log.exception("call task failed")
    logging.getLogger("library").warning("INVITE sip:%s@trunk refused", "84987654321")
    dialling, failed, library = json_lines()
    assert dialling["phone"] == "+849*****321" and dialling["numbers"] == ["091****678"]
    assert "+849*****321" in failed["exception"] and "987654" not in failed["exception"]
    assert library["event"] == "INVITE sip:849*****321@trunk refused"


def test_ids_and_dates_are_not_mistaken_for_phone_numbers(json_lines):
    logs.get_logger("t").info("x", campaign_id="6b0dff48044282b4df658520", at="2026-11-30T22:57:12")
    [line] = json_lines()
    assert line["campaign_id"] == "6b0dff48044282b4df658520" and line["at"] == "2026-11-30T22:57:12"


def test_secrets_and_tokens_are_never_written(json_lines):
    token = "eyJhbGciOiJIUzI1NiJ9.eyJhcGlLZXkiOiJrIn0.c2lnbmF0dXJlLXNpZ24"
    logs.get_logger("t").info(
        "sent", api_secret="s3cret", headers={"authorization": f"Bearer {token}"}, note=token
    )
    [line] = json_lines()
    assert line["api_secret"] == "[redacted]" and line["headers"] == {"authorization": "[redacted]"}
    assert token not in json.dumps(line)


def test_a_bearer_credential_inside_any_text_is_redacted_whatever_its_case(json_lines):
    for word in ("Bearer", "bearer", "BEARER", "BeArEr"):
        logs.get_logger("t").info(
            "retrying", detail=f"upstream said: Authorization: {word} abc.def-123 refused"
        )
    lines = json_lines()
    assert [line["detail"].split(": ", 1)[1] for line in lines] == [
        f"Authorization: {word} [redacted] refused" for word in ("Bearer", "bearer", "BEARER", "BeArEr")
    ]


def test_the_setting_shows_full_numbers_for_debugging():
    stream = io.StringIO()
    logs.configure(fmt="json", stream=stream, show_phones=True)
    try:
        logs.get_logger("t").info("dialling", phone="+84987654321")
    finally:
        logs.reset()
    assert json.loads(stream.getvalue())["phone"] == "+84987654321"


def test_the_console_format_is_one_readable_line_per_event():
    stream = io.StringIO()
    logs.configure(fmt="console", stream=stream)
    try:
        with logs.bound(campaign_id="cmp"):
            logs.get_logger("aicall.campaigns").info("campaign paused", reason="insufficient_balance")
    finally:
        logs.reset()
    [line] = stream.getvalue().splitlines()
    assert "campaign paused" in line and "campaign_id=cmp" in line and "reason=insufficient_balance" in line


def test_mask_phone_keeps_the_prefix_and_the_last_three_digits():
    assert logs.mask_phone("+84987654321") == "+849*****321"
    assert logs.mask_phone("0987654321") == "098****321"
    assert logs.mask_phones("from +842873000001 to 0987654321") == "from +842******001 to 098****321"
