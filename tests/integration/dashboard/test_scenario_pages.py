"""Scenario pages over real HTTP, signed in as people of an account, on SQLite and PostgreSQL:
the forms reach the same services as the public API, errors land next to their fields, and
another account's scenario is a 404."""

from __future__ import annotations

import io
import re
import wave
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

import pytest
import requests

from aicall.accounts import users as user_service
from aicall.db.engine import Database
from aicall.scenarios import actions as action_service
from aicall.scenarios import service as scenario_service
from aicall.scenarios.models import Scenario, ScenarioStatus
from aicall.scenarios.schemas import ActionCreate, ActionUpdate, ScenarioCreate
from tests.integration.support import LiveServer, Tenant, make_tenant

PASSWORD = "correct horse battery"
MISSING = "0123456789abcdef01234567"  # a well-formed scenario id nobody has
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


class Browser:
    """A signed-in person: a cookie jar, and the session's CSRF token put into every form."""

    def __init__(self, server: LiveServer, email: str) -> None:
        self.url = server.url
        self.http = requests.Session()
        self.token = self._token("/login")
        answer = self.post("/login", {"email": email, "password": PASSWORD})
        assert answer.status_code == 303, answer.text
        self.token = self._token("/scenarios")

    def _token(self, path: str) -> str:
        found = CSRF.search(self.get(path).text)
        assert found is not None
        return found.group(1)

    def get(self, path: str) -> requests.Response:
        return self.http.get(self.url + path, allow_redirects=False, timeout=60)

    def post(self, path: str, form: dict[str, str] | None = None) -> requests.Response:
        data = {"csrf_token": self.token, **(form or {})}
        return self.http.post(self.url + path, data=data, allow_redirects=False, timeout=60)


@dataclass
class People:
    tenant: Tenant
    admin: Browser
    member: Browser
    stranger: Browser
    db: Database

    def scenario(self, **body: Any) -> str:
        """A scenario of the admin's account, made through the service (as the API would)."""
        data = {
            "name": "Nhắc nợ",
            "personalizedFields": [{"name": "Họ tên"}, {"name": "Số tiền", "readingType": "CURRENCY"}],
        }
        data.update(body)
        with self.db.transaction() as session:
            return scenario_service.create_scenario(
                session=session,
                application_id=self.tenant.application_id,
                data=ScenarioCreate.model_validate(data),
            ).id

    def actions(self, scenario_id: str) -> dict[str, Any]:
        with self.db.reading() as session:
            rows = action_service.list_actions(
                session=session, application_id=self.tenant.application_id, scenario_id=scenario_id
            )
            return {a.label or a.type: a for a in rows}

    def status(self, scenario_id: str) -> str:
        with self.db.reading() as session:
            scenario = session.get(Scenario, scenario_id)
            assert scenario is not None
            return scenario.status

    def runnable(self) -> str:
        """A scenario that passes validation: `start` asks, key 1 says goodbye."""
        scenario_id = self.scenario()
        app = self.tenant.application_id
        bye = {"scenarioId": scenario_id, "label": "bye", "type": "END_CALL", "contentText": "Cảm ơn."}
        with self.db.transaction() as session:
            goodbye = action_service.create_action(
                session=session, application_id=app, data=ActionCreate.model_validate(bye)
            )
            start = self.actions(scenario_id)["start"]
            menu = {
                "contentText": "Chào {{ho_ten}}. Bấm 1.",
                "responses": [{"keyPadMatch": "1", "nextActionId": goodbye.id}],
            }
            action_service.update_action(
                session=session,
                application_id=app,
                action_id=start.id,
                data=ActionUpdate.model_validate(menu),
            )
        return scenario_id


def _user(db: Database, account_id: str, email: str, *, admin: bool) -> None:
    with db.transaction() as session:
        user_service.create_user(
            session=session, account_id=account_id, email=email, password=PASSWORD, is_admin=admin
        )


@pytest.fixture
def people(db: Database, live_server: LiveServer) -> People:
    tenant = make_tenant(db, "Công ty A")
    other = make_tenant(db, "Công ty B")
    _user(db, tenant.account_id, "admin@a.vn", admin=True)
    _user(db, tenant.account_id, "member@a.vn", admin=False)
    _user(db, other.account_id, "someone@b.vn", admin=True)
    return People(
        tenant=tenant,
        admin=Browser(live_server, "admin@a.vn"),
        member=Browser(live_server, "member@a.vn"),
        stranger=Browser(live_server, "someone@b.vn"),
        db=db,
    )


class _Finder(HTMLParser):
    """The attributes and text of the element with one id (inputs, textareas, error messages)."""

    def __init__(self, element_id: str) -> None:
        super().__init__()
        self.element_id = element_id
        self.attrs: dict[str, str | None] | None = None
        self.text = ""
        self._inside = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if dict(attrs).get("id") == self.element_id:
            self.attrs, self._inside = dict(attrs), tag in ("textarea", "small", "p")

    def handle_endtag(self, tag: str) -> None:
        self._inside = False

    def handle_data(self, data: str) -> None:
        if self._inside:
            self.text += data


def _find(html: str, element_id: str) -> _Finder:
    finder = _Finder(element_id)
    finder.feed(html)
    assert finder.attrs is not None, f"no element #{element_id}"
    return finder


def field_error(html: str, input_id: str) -> str:
    """The error shown next to the input (its aria-describedby target)."""
    described_by = _find(html, input_id).attrs or {}
    assert described_by.get("aria-invalid") == "true", f"#{input_id} is not marked invalid"
    return _find(html, str(described_by["aria-describedby"])).text.strip()


def input_value(html: str, input_id: str) -> str:
    """What an input or textarea holds as the page shows it."""
    found = _find(html, input_id)
    return found.text if found.attrs and "value" not in found.attrs else str((found.attrs or {})["value"])


class _FormReader(HTMLParser):
    """What a browser would send for one form as the page fills it: inputs, textareas, selects."""

    def __init__(self, action: str) -> None:
        super().__init__()
        self.action = action
        self.fields: dict[str, str] = {}
        self._in_form = False
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._in_form = found.get("action") == self.action
        elif not self._in_form or ("name" not in found and tag != "option"):
            return
        elif tag == "input" and found.get("type") == "checkbox":
            if "checked" in found:  # a browser sends a box that is ticked, and only then
                self.fields[found["name"]] = found.get("value", "on")
        elif tag == "input" and found.get("type") != "hidden":
            self.fields[found["name"]] = found.get("value", "")
        elif tag == "textarea":
            self._textarea = found["name"]
            self.fields[self._textarea] = ""
        elif tag == "select":
            self._select = found["name"]
        elif (
            tag == "option"
            and self._select is not None
            and (self._select not in self.fields or "selected" in found)
        ):
            self.fields[self._select] = found.get("value", "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._in_form = False
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self.fields[self._textarea] += data


def form_fields(html: str, action: str) -> dict[str, str]:
    reader = _FormReader(action)
    reader.feed(html)
    return reader.fields


def test_the_list_shows_every_scenario_of_the_account_and_none_of_another(people: People) -> None:
    mine = people.scenario(name="Kịch bản của A")
    with people.db.transaction() as session:
        session.add(Scenario(application_id=people.tenant.application_id, name="Thứ hai của A"))
    page = people.member.get("/scenarios").text
    assert "Kịch bản của A" in page and "Thứ hai của A" in page
    assert f'href="/scenarios/{mine}"' in page
    assert "Kịch bản của A" not in people.stranger.get("/scenarios").text


def test_a_new_scenario_from_the_form_opens_in_the_editor_with_its_start_menu(people: People) -> None:
    answer = people.member.post(
        "/scenarios",
        {
            "name": "Nhắc lịch hẹn",
            "applicationId": people.tenant.application_id,
            "ttsConfig.voiceCode": "sg_female_thaotrinh_full_48k-fhg",
            "ttsConfig.speed": "1,2",  # a Vietnamese decimal comma
            "personalizedFields[0].name": "Họ tên",
            "personalizedFields[0].readingType": "TEXT",
            "personalizedFields[1].name": "",
            "personalizedFields[2].name": "Giờ hẹn",
            "personalizedFields[2].readingType": "TIME",
        },
    )
    assert answer.status_code == 303
    scenario_id = answer.headers["location"].split("/scenarios/")[1].split("?")[0]
    with people.db.reading() as session:
        scenario = session.get(Scenario, scenario_id)
        assert scenario is not None
        assert scenario.status == ScenarioStatus.DRAFT.value
        assert scenario.tts_config == {"voice_code": "sg_female_thaotrinh_full_48k-fhg", "speed": 1.2}
        assert [(f["key"], f["reading_type"]) for f in scenario.personalized_fields] == [
            ("ho_ten", "TEXT"),
            ("gio_hen", "TIME"),
        ]
    page = people.member.get(answer.headers["location"]).text
    assert 'data-label="start"' in page and 'class="node node-INTERACTIVE_MENU' in page


def test_a_speed_out_of_range_is_shown_next_to_the_field_with_what_was_typed(people: People) -> None:
    answer = people.member.post(
        "/scenarios",
        {"name": "Quá nhanh", "applicationId": people.tenant.application_id, "ttsConfig.speed": "3",
         "personalizedFields[0].name": "Họ tên"},
    )  # fmt: skip
    assert answer.status_code == 400
    assert field_error(answer.text, "new-ttsConfig-speed") == "Không được quá 2."
    assert input_value(answer.text, "new-ttsConfig-speed") == "3"
    assert input_value(answer.text, "new-name") == "Quá nhanh"
    assert input_value(answer.text, "new-personalizedFields-0-name") == "Họ tên"


def test_two_fields_with_the_same_key_are_refused_like_the_api_refuses_them(people: People) -> None:
    answer = people.member.post(
        "/scenarios",
        {"name": "Trùng", "applicationId": people.tenant.application_id,
         "personalizedFields[0].name": "Họ tên", "personalizedFields[1].name": "Ho ten"},
    )  # fmt: skip
    assert answer.status_code == 400
    assert "trùng mã trường &#39;ho_ten&#39;" in answer.text


def test_an_application_of_another_account_cannot_be_chosen(people: People) -> None:
    stranger_app = make_tenant(people.db, "Công ty C").application_id
    answer = people.member.post("/scenarios", {"name": "Lạc", "applicationId": stranger_app})
    assert answer.status_code == 400
    with people.db.reading() as session:
        assert session.query(Scenario).filter_by(application_id=stranger_app).count() == 0


def test_a_keypad_menu_built_in_the_editor_is_drawn_with_its_keys(people: People) -> None:
    scenario_id = people.scenario()
    base = f"/scenarios/{scenario_id}"
    for label, kind, text in [
        ("confirm", "END_CALL", "Cảm ơn {{ho_ten}}."),
        ("agent", "TRANSFER_CALL", "Xin chờ."),
    ]:
        assert (
            people.member.post(
                f"{base}/actions", {"label": label, "type": kind, "contentText": text}
            ).status_code
            == 303
        )
    actions = people.actions(scenario_id)
    answer = people.member.post(
        f"{base}/actions/{actions['start'].id}",
        {
            "label": "start", "type": "INTERACTIVE_MENU", "contentText": "Chào {{ho_ten}}: {{so_tien}}.",
            "responseSetting.timeout": "7,5", "responseSetting.maxRetries": "1",
            "responses[0].keyPadMatch": "1", "responses[0].nextActionId": actions["confirm"].id,
            "responses[1].keyPadMatch": "", "responses[1].nextActionId": "",
            "responses[2].keyPadMatch": "2", "responses[2].nextActionId": actions["agent"].id,
            "responseSetting.noInputActionId": actions["agent"].id,
        },
    )  # fmt: skip
    assert answer.status_code == 303, answer.text
    start = people.actions(scenario_id)["start"]
    assert start.responses == [
        {"key_pad_match": "1", "next_action_id": actions["confirm"].id},
        {"key_pad_match": "2", "next_action_id": actions["agent"].id},
    ]
    assert (start.timeout, start.max_retries, start.no_input_action_id) == (7.5, 1, actions["agent"].id)
    page = people.member.get(base).text
    for key, target in [("1", "confirm"), ("2", "agent")]:
        assert re.search(
            rf'data-from="{start.id}" data-to="{actions[target].id}"\s+data-kind="key" data-key="{key}"', page
        ), key
    assert 'data-kind="no_input"' in page and 'data-kind="start"' in page


def test_an_unknown_placeholder_is_shown_next_to_the_prompt_and_the_text_is_kept(people: People) -> None:
    scenario_id = people.scenario()
    start = people.actions(scenario_id)["start"]
    typed = "Chào {{ten_sai}}, bấm 1."
    answer = people.member.post(
        f"/scenarios/{scenario_id}/actions/{start.id}",
        {"label": "start", "type": "INTERACTIVE_MENU", "contentText": typed, "responses[0].keyPadMatch": "1"},
    )
    assert answer.status_code == 400
    assert field_error(answer.text, f"a-{start.id}-contentText").startswith("Thẻ {{ten_sai}} không phải")
    assert input_value(answer.text, f"a-{start.id}-contentText") == typed
    assert people.actions(scenario_id)["start"].content_text == ""  # nothing was stored


def test_a_bad_key_and_a_link_to_another_scenario_are_refused_next_to_their_row(people: People) -> None:
    scenario_id = people.scenario()
    elsewhere = people.actions(people.scenario())["start"].id
    start = people.actions(scenario_id)["start"]
    path = f"/scenarios/{scenario_id}/actions/{start.id}"
    bad_key = people.member.post(path, {"contentText": "Bấm", "responses[0].keyPadMatch": "1a"})
    assert field_error(bad_key.text, f"a-{start.id}-responses-0-keyPadMatch").startswith(
        "'1a' không phải phím hợp lệ"
    )
    assert input_value(bad_key.text, f"a-{start.id}-responses-0-keyPadMatch") == "1a"
    foreign = people.member.post(
        path, {"contentText": "Bấm", "responses[0].keyPadMatch": "1", "responses[0].nextActionId": elsewhere}
    )
    assert (
        field_error(foreign.text, f"a-{start.id}-responses-0-nextActionId")
        == f"'{elsewhere}' không phải hành động của kịch bản này."
    )


def test_submission_problems_are_listed_and_shown_next_to_the_action_field(people: People) -> None:
    scenario_id = people.scenario()
    start = people.actions(scenario_id)["start"]
    answer = people.member.post(f"/scenarios/{scenario_id}/submit")
    assert answer.status_code == 400
    assert 'id="submit-errors"' in answer.text
    assert field_error(answer.text, f"a-{start.id}-contentText").startswith("Lời thoại đang trống")
    assert people.status(scenario_id) == ScenarioStatus.DRAFT.value


def test_a_member_submits_and_only_an_admin_approves(people: People) -> None:
    scenario_id = people.runnable()
    assert people.member.post(f"/scenarios/{scenario_id}/submit").status_code == 303
    assert people.status(scenario_id) == ScenarioStatus.REVIEWING.value
    refused = people.member.post(f"/scenarios/{scenario_id}/approve")
    assert refused.status_code == 403 and "Thao tác này cần quyền quản trị." in refused.text
    assert people.member.post(f"/scenarios/{scenario_id}/reject", {"reason": "không"}).status_code == 403
    assert people.status(scenario_id) == ScenarioStatus.REVIEWING.value
    assert 'id="approve"' not in people.member.get(f"/scenarios/{scenario_id}").text
    assert people.admin.post(f"/scenarios/{scenario_id}/approve").status_code == 303
    assert people.status(scenario_id) == ScenarioStatus.ACTIVE.value


def test_a_rejection_needs_a_reason_and_the_reason_is_shown(people: People) -> None:
    scenario_id = people.runnable()
    people.admin.post(f"/scenarios/{scenario_id}/submit")
    empty = people.admin.post(f"/scenarios/{scenario_id}/reject", {"reason": "  "})
    assert empty.status_code == 400
    assert field_error(empty.text, "review-reason") == "Từ chối cần có lý do."
    assert people.admin.post(f"/scenarios/{scenario_id}/reject", {"reason": "Sai số tiền"}).status_code == 303
    assert people.status(scenario_id) == ScenarioStatus.REJECT.value
    assert "Sai số tiền" in people.admin.get(f"/scenarios/{scenario_id}").text


def test_an_action_something_leads_to_cannot_be_deleted(people: People) -> None:
    scenario_id = people.runnable()
    bye = people.actions(scenario_id)["bye"]
    answer = people.member.post(f"/scenarios/{scenario_id}/actions/{bye.id}/delete")
    assert answer.status_code == 400
    assert "Hành động đang được &#39;start&#39; dẫn tới" in answer.text
    assert "bye" in people.actions(scenario_id)


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", ""),
        ("POST", ""),
        ("POST", "/actions"),
        ("POST", "/actions/{start}"),
        ("POST", "/actions/{start}/delete"),
        ("POST", "/submit"),
        ("POST", "/approve"),
        ("POST", "/reject"),
        ("POST", "/preview"),
        ("POST", "/delete"),
        ("GET", "/audio/abc.wav"),
    ],
)
def test_another_accounts_scenario_answers_like_a_missing_one(people: People, method: str, path: str) -> None:
    scenario_id = people.runnable()
    start = people.actions(scenario_id)["start"].id
    target = f"/scenarios/{scenario_id}" + path.format(start=start)
    missing = f"/scenarios/{MISSING}" + path.format(start=start)
    call = people.stranger.get if method == "GET" else people.stranger.post
    theirs, nothing = call(target), call(missing)
    assert theirs.status_code == nothing.status_code == 404
    assert theirs.text.replace(scenario_id, "ID") == nothing.text.replace(MISSING, "ID")  # the path is echoed
    assert people.status(scenario_id) == ScenarioStatus.DRAFT.value
    assert set(people.actions(scenario_id)) == {"OUTBOUND_CALL", "start", "bye"}


def test_listen_says_the_prompt_with_the_sample_values_and_plays_its_wav(
    people: People, require_tool: Callable[[str], str]
) -> None:
    require_tool("espeak-ng")
    scenario_id = people.runnable()
    start = people.actions(scenario_id)["start"]
    answer = people.member.post(
        f"/scenarios/{scenario_id}/preview",
        {"actionId": start.id, "values.ho_tien": "", "values.ho_ten": "Lan"},
    )
    assert answer.status_code == 200, answer.text
    assert "“Chào Lan. Bấm 1.”" in answer.text
    src = re.search(r'<audio controls autoplay preload="auto" src="([^"]+)"', answer.text)
    assert src is not None
    audio_path = src.group(1).replace("&amp;", "&")
    audio = people.member.get(audio_path)
    assert audio.status_code == 200 and audio.headers["content-type"] == "audio/wav"
    with wave.open(io.BytesIO(audio.content)) as wav:
        assert wav.getframerate() == 8000 and wav.getnframes() > 0
    assert people.member.get(audio_path.replace("signature=", "signature=0")).status_code == 403
    assert people.stranger.get(audio_path).status_code == 404


def test_listen_shows_a_value_its_field_cannot_read_next_to_it(people: People) -> None:
    scenario_id = people.runnable()
    start = people.actions(scenario_id)["start"]
    answer = people.member.post(
        f"/scenarios/{scenario_id}/preview",
        {"actionId": start.id, "values.ho_ten": "Lan", "values.so_tien": "12a"},
    )
    assert answer.status_code == 400
    assert field_error(answer.text, "listen-values-so_tien").startswith(
        "Không đọc được theo kiểu CURRENCY: '12a' không phải số tiền"
    )
    assert input_value(answer.text, "listen-values-so_tien") == "12a"


def test_saving_unchanged_forms_leaves_an_approved_scenario_approved(people: People) -> None:
    scenario_id = people.runnable()
    with people.db.transaction() as session:
        scenario_service.submit(
            session=session, application_id=people.tenant.application_id, scenario_id=scenario_id
        )
        scenario_service.approve(session=session, scenario_id=scenario_id)
    page = people.member.get(f"/scenarios/{scenario_id}").text
    start = people.actions(scenario_id)["start"]

    settings = form_fields(page, f"/scenarios/{scenario_id}")
    assert settings["name"] == "Nhắc nợ" and settings["personalizedFields[1].readingType"] == "CURRENCY"
    assert people.member.post(f"/scenarios/{scenario_id}", settings).status_code == 303
    action = form_fields(page, f"/scenarios/{scenario_id}/actions/{start.id}")
    assert action["contentText"] == "Chào {{ho_ten}}. Bấm 1." and action["responses[0].keyPadMatch"] == "1"
    assert people.member.post(f"/scenarios/{scenario_id}/actions/{start.id}", action).status_code == 303
    with people.db.reading() as session:
        scenario = session.get(Scenario, scenario_id)
        assert scenario is not None
        assert (scenario.status, scenario.version, scenario.published_version) == ("ACTIVE", 3, 3)
