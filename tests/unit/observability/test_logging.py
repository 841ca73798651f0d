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


@pytest.mark.parametrize(
    ("written", "masked"),
    [
        ("+84912000001", "+849*****001"),
        ("%2B84912000001", "+849*****001"),  # "+" as a client puts it in a URL
        ("%2b84912000001", "+849*****001"),
        ("%2B84%20912%20000%20001", "+849*****001"),
        ("+84 912 000 001", "+849*****001"),
        ("+84-912-000-001", "+849*****001"),
        ("+84 (0) 912 000 001", "+840******001"),
        ("+84+912+000+001", "+849*****001"),  # a form-encoded query's spaces
        ("0912.000.001", "091****001"),
        ("0912 000 001", "091****001"),
        ("0912-000-001", "091****001"),
        ("0912%20000%20001", "091****001"),
        ("0912+000+001", "091****001"),
        ("(028) 3822 1234", "(028*****234"),
        ("%28028%29%203822%201234", "%28028*****234"),
    ],
)
def test_a_phone_number_is_masked_however_a_person_or_a_url_writes_it(json_lines, written, masked):
    logs.get_logger("t").info(f"no answer from {written}", path=f"/contacts?phoneNumber={written}&page=2")
    [line] = json_lines()
    assert line["event"] == f"no answer from {masked}"
    assert line["path"] == f"/contacts?phoneNumber={masked}&page=2"


def test_numbers_that_are_not_phone_numbers_are_left_as_they_are(json_lines):
    kept = {
        "amount": "150000",
        "money": "150.000.000 đ, 1 500 000 000 đ",
        "at": "2026-11-30 22:57:12.044985",
        "iso": "2026-11-30T22:57:12.044985Z",
        "date": "01.12.2026 10:00, 01-12-2026",
        "address": "192.168.100.200:8000",
        "duration": "took 0.25 s, 4.2 s",
        "campaign_id": "6b0dff48044282b4df658520",
        "uuid": "6b0dff48-0442-8234-5678-0b0dff480442",
        "version": "1.2.3",
    }
    logs.get_logger("t").info("x", **kept)
    [line] = json_lines()
    assert {key: line[key] for key in kept} == kept


def test_numbers_glued_by_spaces_are_each_masked(json_lines):
    logs.get_logger("t").info("x", numbers="0912000001 0912000002", text="call 0912000001. Then")
    [line] = json_lines()
    assert line["numbers"] == "091****001 091****002" and line["text"] == "call 091****001. Then"


def test_the_http_access_log_masks_a_number_in_the_path_or_the_query(json_lines):
    from uvicorn.protocols.utils import get_path_with_query_string

    # uvicorn's own access record, handed to the root logger's handlers (ours) directly: the
    # `uvicorn.access` logger's level and handlers are whatever earlier tests' servers in this
    # process left them (uvicorn.Config configures them), and are not what is tested here.
    access = logging.getLogger("uvicorn.access")
    for path, query in [
        ("/api/v1/public-api/campaigns/c1/contacts", b"phoneNumber=%2B84912000001"),
        ("/api/v1/public-api/campaigns/c1/contacts", b"phoneNumber=0912.000.001"),
        ("/api/v1/public-api/campaigns/c1/contacts", b"phoneNumber=0912%20000%20001"),
        ("/api/v1/public-api/campaigns/c1/contacts", b"phoneNumber=%2B84%20912%20000%20001"),
        ("/api/v1/public-api/contacts/+84912000001", b""),  # uvicorn writes the path's "+" as %2B
    ]:
        scope = {"path": path, "query_string": query}
        # uvicorn's own line (protocols/http/h11_impl.py)
        args = ("127.0.0.1:5000", "GET", get_path_with_query_string(scope), "1.1", 200)
        record = access.makeRecord(
            access.name, logging.INFO, __file__, 0, '%s - "%s %s HTTP/%s" %d', args, None
        )
        logging.getLogger().handle(record)
    lines = [line["event"] for line in json_lines()]
    assert not any("912000" in line or "912%20000" in line or "912.000" in line for line in lines), lines
    assert lines[0].endswith('phoneNumber=+849*****001 HTTP/1.1" 200')
    assert lines[1].endswith('phoneNumber=091****001 HTTP/1.1" 200')
    assert lines[4].endswith('/contacts/+849*****001 HTTP/1.1" 200')
