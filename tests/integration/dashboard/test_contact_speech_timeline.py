"""A contact page after calls with a speech menu and answering-machine detection, on SQLite and
PostgreSQL: the real dialer rings the simulator's phones (one says yes, one says words that
match no intent, one is a voicemail), and the page, read over HTTP by a signed-in person, shows
what each callee said (quoted), the intent it matched or that it matched none, and who answered
as the detector judged it, in Vietnamese and in English."""

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from datetime import UTC, datetime
from html import unescape

import pytest
from sqlalchemy import select

from aicall.accounts.secrets_box import SecretBox
from aicall.calls.models import CallAttempt
from aicall.campaigns import contact_detail
from aicall.campaigns.models import Contact
from aicall.config import Settings
from aicall.dialer.backends import BackendRouter
from aicall.dialer.scheduler import Dialer
from aicall.interpreter.prompter import TextPrompter
from aicall.interpreter.script import Action, ActionType, KeyResponse, ResponseType
from aicall.telephony.sim import SimBackend, SimRules
from tests.integration.dashboard import test_admin_pages
from tests.integration.dashboard.test_admin_pages import People
from tests.integration.dialer import support
from tests.integration.dialer.support import add_contacts, prepare_campaign, run_until_idle
from tests.integration.support import SECRET_KEY

people = test_admin_pages.people  # the signed-in admin, member and stranger (a fixture)

YES, HUH, VOICEMAIL = "+84987650001", "+84987650002", "+84987650007"  # 7: the simulator's voicemail
MENU = Action(
    id="menu",
    type=ActionType.INTERACTIVE_MENU,
    label="start",
    content_text="Xin chào {{ho_ten}}, anh có xác nhận lịch hẹn không?",
    responses=(KeyResponse("", "thanks", intent="yes"), KeyResponse("", "bye", intent="call_back_later")),
    response_type=ResponseType.SPEECH,
    timeout=3,
    max_retries=0,
    invalid_action_id="bye",
)
RULES = SimRules.from_dict(
    {"rules": [{"number": YES, "say": "dạ vâng, đúng rồi"}, {"number": HUH, "say": "trời hôm nay đẹp quá"}]}
)


@pytest.fixture
def called(people: People, tmp_path, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The three phones called once with detection on; their contact ids by phone."""
    monkeypatch.setattr(
        support, "SCRIPT", replace(support.SCRIPT, actions={**support.SCRIPT.actions, "menu": MENU})
    )
    db, tenant = people.db, people.tenant
    prepare_campaign(db, tenant, retry=support.NO_RETRY, amd=True)
    add_contacts(db, tenant, [YES, HUH, VOICEMAIL])
    settings = Settings(
        data_dir=tmp_path, database_url=db.url, secret_key=SECRET_KEY, run_engine=False, asr_engine="echo"
    )
    dialer = Dialer(
        db=db,
        box=SecretBox(SECRET_KEY),
        settings=settings,
        router=BackendRouter(settings, sim=SimBackend(time_scale=0, rules=RULES)),
        load_script=lambda _session, _scenario_id: support.SCRIPT,
        load_call_config=lambda _session, _scenario_id: {},
        prompter_for=lambda _script, _audio: TextPrompter(),
    )
    asyncio.run(run_until_idle(dialer))
    with db.reading() as session:
        rows = session.scalars(select(Contact).where(Contact.campaign_id == tenant.campaign_id))
        return {row.phone: row.id for row in rows}


def _text(html: str, css_class: str) -> list[str]:
    """The text of every element with `css_class`, tags dropped and spaces squeezed."""
    found = re.findall(rf'<(\w+)[^>]*class="[^"]*\b{css_class}\b[^"]*"[^>]*>(.*?)</\1>', html, re.S)
    return [" ".join(unescape(re.sub(r"<[^>]+>", " ", body)).split()) for _, body in found]


def test_a_spoken_yes_shows_the_words_the_intent_and_the_person_verdict(
    people: People, called: dict[str, str]
) -> None:
    html = people.admin.get(f"/contacts/{called[YES]}").text

    [heard] = _text(html, "step-speech")
    assert "Khách nói" in heard and "dạ vâng, đúng rồi" in heard
    assert '<q class="heard">dạ vâng, đúng rồi</q>' in html
    assert 'data-intent="yes"' in html and "Có / đồng ý" in heard
    assert "Bấm phím" not in " ".join(_text(html, "timeline"))  # a spoken answer is not a key
    [amd] = _text(html, "amd")
    assert "Phát hiện máy trả lời: người nghe" in amd
    assert re.search(r"quyết định sau \d+,\d giây nghe", amd), amd


def test_words_that_match_no_intent_are_shown_as_no_match(people: People, called: dict[str, str]) -> None:
    html = people.admin.get(f"/contacts/{called[HUH]}").text

    [heard] = _text(html, "step-speech")
    assert "trời hôm nay đẹp quá" in heard and "không khớp ý định nào" in heard
    assert "data-intent" not in html


def test_a_voicemail_shows_the_machine_verdict_and_no_answer_steps(
    people: People, called: dict[str, str]
) -> None:
    html = people.admin.get(f"/contacts/{called[VOICEMAIL]}").text

    [amd] = _text(html, "amd")
    assert "máy trả lời (hộp thư thoại, thông báo)" in amd
    assert 'data-verdict="machine"' in html
    assert _text(html, "step-speech") == [] and _text(html, "step-keys") == []


def test_the_timeline_reads_in_english_too(people: People, called: dict[str, str]) -> None:
    people.admin.http.cookies.set("aicall_lang", "en")
    html = people.admin.get(f"/contacts/{called[YES]}").text

    [heard] = _text(html, "step-speech")
    assert "Said: dạ vâng, đúng rồi → intent Yes / agree" in heard
    [amd] = _text(html, "amd")
    assert "Answering-machine detection: a person" in amd and "of the callee's audio" in amd


def test_speech_nobody_could_read_is_not_told_as_a_key_or_as_words() -> None:
    attempt = CallAttempt(
        status="done",
        answered_at=datetime(2026, 12, 1, 8, 0, 3, tzinfo=UTC),
        started_at=datetime(2026, 12, 1, 8, 0, tzinfo=UTC),
        ended_at=datetime(2026, 12, 1, 8, 0, 9, tzinfo=UTC),
        end_reason="completed",
        amd={"verdict": "unknown", "reason": "timeout", "message_left": False},  # no decided_after
        path=[
            {
                "action_id": "menu",
                "label": "start",
                "type": "INTERACTIVE_MENU",
                "text": "Anh có xác nhận không?",
                "keys": "",
                "result": "no_input",
                "at": "2026-12-01T08:00:04+00:00",
                "repeat": 0,
                "interrupted": True,
                "heard": {"transcript": None, "intent": None, "error": "no speech recogniser configured"},
            }
        ],
    )

    steps = contact_detail.timeline(attempt)

    assert [s.kind for s in steps] == ["dialled", "ringing", "answered", "prompt", "not_understood", "hangup"]
    assert steps[3].spoken and steps[3].keys == "interrupted"
    assert steps[4].detail == "no speech recogniser configured"
    assert contact_detail.detection(attempt) == contact_detail.Detection("unknown", None, "timeout", False)
