"""The dashboard's voice side of a scenario, over real HTTP: a speech menu saved from the editor's
form, its listen speaking with the account's own TTS credentials, and an approval that fills the
audio cache with the fixed prompt parts (in the background, never failing the approval).

The vendor is the local FPT.AI stand-in of tests/unit/speech (its documented protocol); the
account's credentials point at it, the platform has none, so only the account's voice reaches it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from html.parser import HTMLParser

import httpx
import pytest

from aicall.accounts import voice_credentials
from aicall.accounts.models import Account
from aicall.accounts.secrets_box import SecretBox
from aicall.scenarios import actions as action_service
from aicall.scenarios import preview
from aicall.scenarios import service as scenario_service
from aicall.scenarios.models import ScenarioStatus
from aicall.scenarios.schemas import ActionCreate, ActionUpdate
from tests.integration.dashboard.test_scenario_pages import People, field_error, form_fields, input_value
from tests.integration.dashboard.test_scenario_pages import people as people  # the fixture
from tests.integration.support import SECRET_KEY, LiveServer
from tests.unit.speech.vendor_servers import FPT_KEY, VendorServer, vendor_server

FPT_VOICE = "fpt:banmai"
WAIT = 60.0  # seconds: an upper bound for the background work, never a measure of it


@pytest.fixture
def fpt() -> Iterator[VendorServer]:
    with vendor_server() as server:
        yield server


def own_fpt_voice(people: People, server: VendorServer) -> None:
    """The account's own FPT.AI key, at the stand-in's address."""
    with people.db.transaction() as session:
        voice_credentials.set_credentials(
            session=session,
            box=SecretBox(SECRET_KEY),
            account_id=people.tenant.account_id,
            engine="fpt",
            token=FPT_KEY,
            url=server.fpt_url,
        )


def spoken(server: VendorServer) -> list[str]:
    """The texts the stand-in was asked to synthesise, in order."""
    return [body.decode() for method, path, _headers, body in server.requests if method == "POST"]


def wait_for(condition: Callable[[], bool], what: str, extra: Callable[[], object] = lambda: "") -> None:
    """Poll `condition()` (bounded): work done by the server's background thread."""
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what} ({extra()})")
        time.sleep(0.05)


class _Edges(HTMLParser):
    """The graph's arrows: (from, to, data-key, data-intent, label text)."""

    def __init__(self) -> None:
        super().__init__()
        self.edges: list[tuple[str, str, str, str, str]] = []
        self._open: dict[str, str] | None = None
        self._in_label = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag == "g" and found.get("class", "").startswith("edge "):
            self._open = found
        self._in_label = tag == "text" and found.get("class") == "edge-label" and self._open is not None

    def handle_data(self, data: str) -> None:
        if self._in_label and self._open is not None:
            e = self._open
            self.edges.append(
                (e["data-from"], e["data-to"], e.get("data-key", ""), e.get("data-intent", ""), data)
            )
            self._open, self._in_label = None, False


def drawn_edges(page: str) -> list[tuple[str, str, str, str, str]]:
    reader = _Edges()
    reader.feed(page)
    return reader.edges


def submitted(people: People, question: str, goodbye: str, *, submit: bool = True, **scenario: object) -> str:
    """A runnable scenario (a speech menu, then goodbye), waiting for review (a draft when not
    `submit`)."""
    scenario_id = people.scenario(**scenario)
    start = people.actions(scenario_id)["start"]
    app = people.tenant.application_id
    bye_action = {"scenarioId": scenario_id, "label": "bye", "type": "END_CALL", "contentText": goodbye}
    with people.db.transaction() as session:
        bye = action_service.create_action(
            session=session, application_id=app, data=ActionCreate.model_validate(bye_action)
        )
        menu = {
            "contentText": question,
            "responseSetting": {"responseType": "SPEECH"},
            "responses": [{"intent": "yes", "nextActionId": bye.id}],
        }
        action_service.update_action(
            session=session, application_id=app, action_id=start.id, data=ActionUpdate.model_validate(menu)
        )
        if submit:
            scenario_service.submit(session=session, application_id=app, scenario_id=scenario_id)
    return scenario_id


def test_a_speech_menu_saved_from_the_form_is_stored_as_the_api_stores_it(people: People) -> None:
    scenario_id = people.runnable()
    actions = people.actions(scenario_id)
    start, bye = actions["start"], actions["bye"]
    page = people.member.get(f"/scenarios/{scenario_id}").text
    form = form_fields(page, f"/scenarios/{scenario_id}/actions/{start.id}")
    assert form["responseSetting.responseType"] == "KEYPAD"
    form.update(
        {
            "responseSetting.responseType": "KEYPAD_OR_SPEECH",
            "responses[0].intent": "yes",  # key 1 or "có"
            "responses[1].intent": "_custom",
            "responses[1].customIntent": "hoi_gia",
            "responses[1].phrases": "bao nhiêu tiền, giá bao nhiêu\nmất bao nhiêu ",
            "responses[1].nextActionId": bye.id,
        }
    )
    answer = people.member.post(f"/scenarios/{scenario_id}/actions/{start.id}", form)
    assert answer.status_code == 303, answer.text

    stored = people.actions(scenario_id)["start"]
    assert stored.response_type == "KEYPAD_OR_SPEECH"
    assert stored.responses == [
        {"key_pad_match": "1", "next_action_id": bye.id, "intent": "yes"},
        {
            "next_action_id": bye.id,
            "intent": "hoi_gia",
            "phrases": ["bao nhiêu tiền", "giá bao nhiêu", "mất bao nhiêu"],
        },
    ]
    page = people.member.get(f"/scenarios/{scenario_id}").text
    again = form_fields(page, f"/scenarios/{scenario_id}/actions/{start.id}")
    assert (again["responses[1].intent"], again["responses[1].customIntent"]) == ("_custom", "hoi_gia")
    assert again["responses[1].phrases"] == "bao nhiêu tiền\ngiá bao nhiêu\nmất bao nhiêu"
    assert (start.id, bye.id, "1", "yes", "1 · “có”") in drawn_edges(page)  # key 1, or "có"
    assert (start.id, bye.id, "hoi_gia", "hoi_gia", "“hoi_gia”") in drawn_edges(page)


BAD_ROWS = [
    ({"responses[0].intent": "_custom", "responses[0].customIntent": "hoi_gia",
      "responses[0].phrases": "giá bao nhiêu, ???"},
     "Có một cụm từ không có chữ nào", "phrases"),
    ({"responses[0].intent": "_custom", "responses[0].customIntent": "hoi_gia"},
     "Ý định 'hoi_gia' không có sẵn: hãy nhập các cụm từ", "phrases"),
    ({"responses[0].intent": "_custom", "responses[0].customIntent": "Hỏi giá",
      "responses[0].phrases": "giá bao nhiêu"},
     "không dùng được làm tên ý định", "intent"),
    ({"responses[0].intent": "yes", "responses[0].phrases": "x" * 101},
     "Cụm từ thứ 1: Dài quá 100 ký tự.", "phrases"),
    ({"responses[0].intent": ""}, "Mỗi dòng cần một phím hoặc một ý định.", "intent"),
]  # fmt: skip


def test_a_bad_intent_row_is_refused_next_to_its_input_with_what_was_typed(people: People) -> None:
    scenario_id = people.runnable()
    start = people.actions(scenario_id)["start"]
    page = people.member.get(f"/scenarios/{scenario_id}").text
    for row, message, field in BAD_ROWS:
        form = form_fields(page, f"/scenarios/{scenario_id}/actions/{start.id}")
        form.update({"responseSetting.responseType": "SPEECH", "responses[0].keyPadMatch": "", **row})
        answer = people.member.post(f"/scenarios/{scenario_id}/actions/{start.id}", form)
        assert answer.status_code == 400, row
        input_id = f"a-{start.id}-responses-0-{field}"
        assert message in field_error(answer.text, input_id)
        if field == "phrases":
            assert input_value(answer.text, input_id) == row.get("responses[0].phrases", "")
    assert people.actions(scenario_id)["start"].responses == start.responses  # nothing stored


def test_the_listen_panel_speaks_with_the_accounts_own_voice_credentials(
    people: People, fpt: VendorServer
) -> None:
    own_fpt_voice(people, fpt)
    scenario_id = people.scenario(ttsConfig={"voiceCode": FPT_VOICE})
    start = people.actions(scenario_id)["start"]
    with people.db.transaction() as session:
        action_service.update_action(
            session=session,
            application_id=people.tenant.application_id,
            action_id=start.id,
            data=ActionUpdate.model_validate({"contentText": "Chào {{ho_ten}}, quý khách có nghe rõ không?"}),
        )

    answer = people.member.post(
        f"/scenarios/{scenario_id}/preview", {"actionId": start.id, "values.ho_ten": "Lan"}
    )

    assert answer.status_code == 200, answer.text
    assert "<audio controls" in answer.text  # the vendor's audio, not an error
    assert "Lan" in spoken(fpt)  # the account's key reached its vendor
    assert {
        headers.get("api_key") or headers.get("api-key") for m, _p, headers, _b in fpt.requests if m == "POST"
    } == {FPT_KEY}


def test_approving_in_the_dashboard_synthesises_the_fixed_parts_in_the_accounts_voice(
    people: People, fpt: VendorServer, live_server: LiveServer
) -> None:
    own_fpt_voice(people, fpt)
    # Words no other test says: the audio cache is the server's, shared by the tests.
    question, goodbye = "Kính chào {{ho_ten}}, quý khách có rảnh không?", "Xin cảm ơn, chào quý khách."
    scenario_id = submitted(people, question, goodbye, ttsConfig={"voiceCode": FPT_VOICE})
    audio = preview.audio_directory(live_server.settings)
    before = set(audio.glob("**/*.wav")) if audio.exists() else set()

    answer = people.admin.post(f"/scenarios/{scenario_id}/approve")

    assert answer.status_code == 303
    assert people.status(scenario_id) == ScenarioStatus.ACTIVE.value
    fixed = {"Kính chào", ", quý khách có rảnh không?", goodbye}
    wait_for(lambda: fixed <= set(spoken(fpt)), f"the stand-in asked for {fixed}", lambda: spoken(fpt))
    assert sorted(spoken(fpt)) == sorted(fixed)  # each once, and no contact's value
    wait_for(lambda: len(set(audio.glob("**/*.wav")) - before) == len(fixed), "three new cached prompts")


def test_an_approval_does_not_wait_for_the_synthesis_and_stands_when_it_fails(
    people: People, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    scenario_id = submitted(people, "Chào {{ho_ten}}.", "Tạm biệt.")
    release, started = threading.Event(), threading.Event()
    asked: list[str] = []

    def slow_failure(*, scenario_id: str, **_kwargs: object) -> int:
        asked.append(scenario_id)
        started.set()
        release.wait(WAIT)  # the page must answer while this still waits
        raise RuntimeError("the vendor fell over")

    monkeypatch.setattr(preview, "warm_approved", slow_failure)
    caplog.set_level(logging.ERROR, logger="aicall.scenarios.preview")

    answer = people.admin.post(f"/scenarios/{scenario_id}/approve")

    assert answer.status_code == 303 and not release.is_set()
    assert people.status(scenario_id) == ScenarioStatus.ACTIVE.value
    assert started.wait(WAIT) and asked == [scenario_id]
    release.set()
    wait_for(
        lambda: any("fixed prompt parts were not synthesised" in r.getMessage() for r in caplog.records),
        "the failure logged",
    )
    assert people.status(scenario_id) == ScenarioStatus.ACTIVE.value


def test_a_scenario_approved_at_once_by_the_api_submit_synthesises_its_fixed_parts(
    people: People, fpt: VendorServer, live_server: LiveServer
) -> None:
    """An account that approves its own scenarios gets them approved by `POST .../submit`: the
    fixed parts go into the cache then, as after a review (issue 16: slow engines must not make
    callees wait)."""
    own_fpt_voice(people, fpt)
    with people.db.transaction() as session:
        account = session.get(Account, people.tenant.account_id)
        assert account is not None
        account.auto_approve_scenarios = True
    question, goodbye = "Thưa {{ho_ten}}, quý khách muốn nhận hàng hôm nay không?", "Dạ, em chào anh chị."
    scenario_id = submitted(people, question, goodbye, submit=False, ttsConfig={"voiceCode": FPT_VOICE})

    answer = httpx.post(
        f"{live_server.url}/api/v1/public-api/scenarios/{scenario_id}/submit",
        headers=people.tenant.headers(),
        timeout=30,
    )

    assert answer.status_code == 200, answer.text
    assert answer.json()["scenario_status"] == ScenarioStatus.ACTIVE.value
    fixed = {"Thưa", ", quý khách muốn nhận hàng hôm nay không?", goodbye}
    wait_for(lambda: fixed <= set(spoken(fpt)), f"the stand-in asked for {fixed}", lambda: spoken(fpt))
    assert sorted(spoken(fpt)) == sorted(fixed)
