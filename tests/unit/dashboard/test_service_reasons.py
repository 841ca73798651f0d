"""Every reason a dashboard form can show, made by the service behind that form from bad input,
is said in Vietnamese on a Vietnamese page and in English on an English one: a rule of
`aicall.dashboard.reasons` knows it. A service message changed, or a new one added, without a
rule fails here, naming the reason.

The services run on a real SQLite database holding the demo tenant; each case works inside a
transaction that its error rolls back.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from aicall.accounts import service as account_service
from aicall.accounts import speech_settings, voice_credentials
from aicall.accounts.secrets_box import SecretBox
from aicall.campaigns import file_import, lifecycle
from aicall.campaigns import service as campaign_service
from aicall.campaigns.models import Campaign
from aicall.campaigns.schemas import CampaignCreate
from aicall.dashboard import reasons
from aicall.dashboard.i18n import Translator
from aicall.dashboard.pages import campaign_forms
from aicall.db import migrate
from aicall.db.engine import Database
from aicall.demo import DemoTenant, ensure_demo
from aicall.errors import ApiError
from aicall.hotlines import service as hotline_service
from aicall.interpreter.script import FieldSpec
from aicall.scenarios import actions as action_service
from aicall.scenarios import service as scenario_service
from aicall.scenarios.models import Scenario, ScenarioAction
from aicall.scenarios.schemas import ActionCreate, ActionUpdate, ScenarioCreate, ScenarioUpdate, parse
from aicall.speech.template import validate_value
from aicall.webhooks.guard import InvalidWebhookUrl, check_webhook_url
from tests.unit.dashboard.language import english_words

VI, EN = Translator("vi"), Translator("en")
SECRET = "a-test-secret-key-of-enough-length-000000"


@dataclass
class World:
    db: Database
    box: SecretBox
    demo: DemoTenant
    closed_campaign: str
    menu_id: str  # the demo scenario's "start" menu
    other_action: str  # an action of another scenario


class Refused(Exception):
    """Rolls a case's transaction back once its error is read."""


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    path = Path(tmp_path_factory.mktemp("reasons")) / "aicall.db"
    db = Database(f"sqlite:///{path}")
    migrate.upgrade(db.engine)
    box = SecretBox(SECRET)
    with db.transaction() as session:
        demo = ensure_demo(session=session, box=box)
        closed = campaign_service.create_campaign(
            session=session, application_id=demo.application_id, name="x"
        )
        closed.status = "completed"
        other = scenario_service.create_scenario(
            session=session, application_id=demo.application_id, data=parse(ScenarioCreate, {"name": "Khác"})
        )
        menu = session.scalars(
            select(ScenarioAction).where(
                ScenarioAction.scenario_id == demo.scenario_id, ScenarioAction.type == "INTERACTIVE_MENU"
            )
        ).first()
        assert menu is not None
        other_action = session.scalars(
            select(ScenarioAction.id).where(
                ScenarioAction.scenario_id == other.id, ScenarioAction.type != "OUTBOUND_CALL"
            )
        ).first()
        world = World(db, box, demo, closed.id, menu.id, str(other_action))
    yield world
    db.dispose()


def _reasons_of(call: Callable[[], Any]) -> list[str]:
    try:
        call()
    except ApiError as exc:
        return [reason for _field, reason in reasons.problems(exc)]
    except (hotline_service.HotlineError, InvalidWebhookUrl) as exc:
        return [str(exc)]
    raise AssertionError("the service took the bad input")


def _in_session(world: World, work: Callable[[Session], Any]) -> list[str]:
    """The reasons `work` fails with, its writes rolled back."""
    found: list[str] = []
    try:
        with world.db.transaction() as session:
            found = _reasons_of(lambda: work(session))
            raise Refused()
    except Refused:
        pass
    return found


# --- the forms' services, with bad input -------------------------------------------------------


def _settings(**patch: Any) -> Callable[[World], list[str]]:
    return lambda _world: _reasons_of(lambda: campaign_service.normalise_overrides(patch))


def _campaign_change(**patch: Any) -> Callable[[World], list[str]]:
    def run(world: World) -> list[str]:
        def work(session: Session) -> None:
            campaign = session.get(Campaign, world.demo.campaign_id)
            campaign_service.update_from_api(
                session=session, campaign=campaign, name=None, scenario_id=None, settings=patch
            )

        return _in_session(world, work)

    return run


def _start(scenario: str | None, **settings: Any) -> Callable[[World], list[str]]:
    """Why a draft with this scenario ("demo", "draft" or none) and these stored settings
    cannot start (check_ready, the start button's and the new-campaign form's refusal)."""

    def run(world: World) -> list[str]:
        def work(session: Session) -> None:
            scenario_id = world.demo.scenario_id if scenario == "demo" else None
            if scenario == "draft":
                scenario_id = scenario_service.create_scenario(
                    session=session,
                    application_id=world.demo.application_id,
                    data=parse(ScenarioCreate, {"name": "N"}),
                ).id
            campaign = campaign_service.create_campaign(
                session=session, application_id=world.demo.application_id, name="c", scenario_id=scenario_id
            )
            campaign.settings = settings
            lifecycle.check_ready(session, campaign, world.demo.account_id)

        return _in_session(world, work)

    return run


def _action(payload: dict[str, Any], *, on: str = "menu") -> Callable[[World], list[str]]:
    """Saving the demo menu's form (`on`="menu") or a new action's (`on`="new") with `payload`."""

    def run(world: World) -> list[str]:
        def work(session: Session) -> None:
            if on == "new":
                data = parse(ActionCreate, {"scenarioId": world.demo.scenario_id, **payload})
                action_service.create_action(
                    session=session, application_id=world.demo.application_id, data=data
                )
                return
            body = {
                key: (world.other_action if value == "OTHER" else value) for key, value in payload.items()
            }
            action_service.update_action(
                session=session,
                application_id=world.demo.application_id,
                action_id=world.menu_id,
                data=parse(ActionUpdate, body),
            )

        return _in_session(world, work)

    return run


def _responses(*rows: dict[str, Any], **setting: Any) -> Callable[[World], list[str]]:
    body: dict[str, Any] = {"responses": list(rows)}
    if setting:
        body["responseSetting"] = setting
    return _action(body)


def _scenario(payload: dict[str, Any]) -> Callable[[World], list[str]]:
    return lambda _world: _reasons_of(lambda: parse(ScenarioCreate, {"name": "S", **payload}))


def _scenario_update(payload: dict[str, Any]) -> Callable[[World], list[str]]:
    return lambda _world: _reasons_of(lambda: parse(ScenarioUpdate, payload))


def _flow(step: Callable[[Session, World], Any]) -> Callable[[World], list[str]]:
    return lambda world: _in_session(world, lambda session: step(session, world))


def _new_scenario(session: Session, world: World, name: str) -> Scenario:
    data = parse(ScenarioCreate, {"name": name})
    return scenario_service.create_scenario(
        session=session, application_id=world.demo.application_id, data=data
    )


def _add(session: Session, world: World, scenario: Scenario, **payload: Any) -> ScenarioAction:
    data = parse(ActionCreate, {"scenarioId": scenario.id, **payload})
    return action_service.create_action(session=session, application_id=world.demo.application_id, data=data)


def _save(session: Session, world: World, action_id: str, **payload: Any) -> None:
    data = parse(ActionUpdate, payload)
    action_service.update_action(
        session=session, application_id=world.demo.application_id, action_id=action_id, data=data
    )


def _submit_empty(session: Session, world: World) -> None:
    fresh = _new_scenario(session, world, "Trống")
    scenario_service.submit(session=session, application_id=world.demo.application_id, scenario_id=fresh.id)


def _submit_one_that_cannot_end(session: Session, world: World) -> None:
    """A refusal key leading to a message, a transfer to nobody, and a loop back to the menu."""
    fresh = _new_scenario(session, world, "Vòng")
    menu = session.scalars(
        select(ScenarioAction).where(
            ScenarioAction.scenario_id == fresh.id, ScenarioAction.type == "INTERACTIVE_MENU"
        )
    ).one()
    message = _add(session, world, fresh, type="PLAY_MESSAGE", contentText="Chào")
    transfer = _add(session, world, fresh, type="TRANSFER_CALL", contentText="Chuyển máy")
    rows = [
        {"keyPadMatch": "1", "nextActionId": message.id, "optOut": True},
        {"keyPadMatch": "2", "nextActionId": transfer.id},
    ]
    _save(session, world, menu.id, contentText="Bấm 1", responses=rows)
    _save(session, world, message.id, nextActionId=menu.id)
    scenario_service.submit(session=session, application_id=world.demo.application_id, scenario_id=fresh.id)


def _submit_approved(session: Session, world: World) -> None:
    scenario_service.submit(
        session=session, application_id=world.demo.application_id, scenario_id=world.demo.scenario_id
    )


def _approve_approved(session: Session, world: World) -> None:
    scenario_service.approve(session=session, scenario_id=world.demo.scenario_id)


def _reject_without_reason(session: Session, world: World) -> None:
    scenario_service.reject(session=session, scenario_id=world.demo.scenario_id, reason=" ")


def _delete_scenario_in_use(session: Session, world: World) -> None:
    scenario_service.delete_scenario(
        session=session, application_id=world.demo.application_id, scenario_id=world.demo.scenario_id
    )


def _delete_action(kind: str) -> Callable[[Session, World], None]:
    def step(session: Session, world: World) -> None:
        action_id = session.scalars(
            select(ScenarioAction.id).where(
                ScenarioAction.scenario_id == world.demo.scenario_id, ScenarioAction.type == kind
            )
        ).first()
        action_service.delete_action(
            session=session, application_id=world.demo.application_id, action_id=str(action_id)
        )

    return step


def _read(reading_type: str, value: str) -> Callable[[World], list[str]]:
    """A listen sample, a field's default or a contact's tag its reading type cannot read."""
    field = FieldSpec("Giá trị", "gia_tri", reading_type)
    return lambda _world: [str(validate_value(field, value))]


def _trunk(**given: Any) -> Callable[[World], list[str]]:
    values: dict[str, Any] = {"host": "sip.example.vn", "allow_private": False, **given}

    def run(world: World) -> list[str]:
        return _in_session(
            world,
            lambda session: hotline_service.create_trunk(
                session=session, box=world.box, account_id=world.demo.account_id, **values
            ),
        )

    return run


def _pool(**given: Any) -> Callable[[World], list[str]]:
    values: dict[str, Any] = {"key": "CSKH", "numbers": ["+842873001234"], **given}

    def run(world: World) -> list[str]:
        def work(session: Session) -> None:
            if values["key"] == "TWICE":
                hotline_service.create_pool(session=session, key="TWICE", numbers=["+842873001234"],
                                            account_id=world.demo.account_id)  # fmt: skip
            hotline_service.create_pool(session=session, account_id=world.demo.account_id, **values)

        return _in_session(world, work)

    return run


def _app_name(name: str) -> Callable[[World], list[str]]:
    return lambda world: _in_session(
        world,
        lambda session: account_service.create_application(
            session=session, box=world.box, account_id=world.demo.account_id, name=name
        ),
    )


def _webhook(url: str) -> Callable[[World], list[str]]:
    return lambda _world: _reasons_of(lambda: check_webhook_url(url, allow_private=False))


def _tts(**given: str) -> Callable[[World], list[str]]:
    values = {"engine": "vbee", "token": "t0ken", "app_id": "app", "url": "", **given}
    return lambda world: _in_session(
        world,
        lambda session: voice_credentials.set_credentials(
            session=session, box=world.box, account_id=world.demo.account_id, allow_private=False, **values
        ),
    )


def _asr(**given: Any) -> Callable[[World], list[str]]:
    values: dict[str, Any] = {"engine": "openai", "base_url": "https://asr.example.com/v1", **given}
    return lambda world: _in_session(
        world,
        lambda session: speech_settings.set_asr(
            session=session, box=world.box, account_id=world.demo.account_id, allow_private=False, **values
        ),
    )


LIMITS = file_import.Limits(max_bytes=200_000, max_rows=50)


def _file(content: bytes, *, limits: file_import.Limits = LIMITS, closed: bool = False,
          positions: dict[int, str] | None = None) -> Callable[[World], list[str]]:  # fmt: skip
    """The upload's refusal of a file (unreadable, no phone column, too large...)."""

    def run(world: World) -> list[str]:
        campaign = world.closed_campaign if closed else world.demo.campaign_id
        return _reasons_of(
            lambda: file_import.validate(
                db=world.db,
                application_id=world.demo.application_id,
                campaign_id=campaign,
                source=io.BytesIO(content),
                limits=limits,
                filename="danh-ba.csv",
                positions=positions,
            )
        )

    return run


def _rows(*lines: str) -> Callable[[World], list[str]]:
    """The check step's reasons for each refused row of a CSV under the demo's columns."""

    def run(world: World) -> list[str]:
        content = "\n".join(["Số điện thoại,Họ tên,Số tiền", *lines]).encode()
        report = file_import.validate(
            db=world.db,
            application_id=world.demo.application_id,
            campaign_id=world.demo.campaign_id,
            source=io.BytesIO(content),
            limits=LIMITS,
            filename="danh-ba.csv",
        )
        return [row["reason"] for row in report.rejected_rows()]

    return run


CASES: dict[str, Callable[[World], list[str]]] = {
    # campaigns: the new-campaign and settings forms, the start button
    "time zone": _settings(timezone="Mars/Olympus"),
    "no day": _settings(days=[]),
    "hours end before they start": _settings(hours=[{"start": "10:00", "end": "09:00"}]),
    "end date before start date": _settings(start_date="2026-05-02", end_date="2026-05-01"),
    "holidays of no country": _settings(exclude_holidays="ZZ"),
    "re-calls of no outcome": _settings(retry={"answered": {"max_attempts": 1}}),
    "a message without detection": _campaign_change(
        amd=False, voicemail_action="leave_message", voicemail_message_action_id="x"),
    "a message not in the scenario": _campaign_change(
        amd=True, voicemail_action="leave_message", voicemail_message_action_id="gone"),
    "start without a scenario, nor pool": _start(None, pool_hotline_key="NOPE"),
    "start with a draft scenario": _start("draft"),
    "start advertising from an unregistered pool": _start("demo", policy="advertising"),
    "start with stored settings that do not validate": _start("demo", max_concurrent=0),
    "start with a voicemail message that is not in the scenario": _start(
        "demo", amd=True, voicemail_action="leave_message", voicemail_message_action_id="gone"),
    # scenarios: settings form, action forms, submission, review, deletion
    "scenario name blank": _scenario({"name": "   "}),
    "scenario speed": _scenario({"ttsConfig": {"speed": "3"}}),
    "scenario speed not a number": _scenario({"ttsConfig": {"speed": "nhanh"}}),
    "scenario voice": _scenario({"ttsConfig": {"voiceCode": "nope:voice"}}),
    "scenario dialect": _scenario({"dialect": "west"}),
    "field without letters": _scenario({"personalizedFields": [{"name": "!!!"}]}),
    "fields with one key": _scenario({"personalizedFields": [{"name": "Họ tên"}, {"name": "ho ten"}]}),
    "field reading type": _scenario({"personalizedFields": [{"name": "A", "readingType": "COLOUR"}]}),
    "field default unreadable": _scenario(
        {"personalizedFields": [{"name": "Số tiền", "readingType": "CURRENCY", "default": "nhiều"}]}),
    "scenario name too long": _scenario_update({"name": "x" * 201}),
    "not a key": _responses({"keyPadMatch": "1a"}),
    "a key twice": _responses({"keyPadMatch": "1"}, {"keyPadMatch": "1"}),
    "not an intent name": _responses({"intent": "Hỏi giá"}, responseType="SPEECH"),
    "own intent without phrases": _responses({"intent": "hoi_gia"}, responseType="SPEECH"),
    "phrase without words": _responses({"intent": "yes", "phrases": ["?!"]}, responseType="SPEECH"),
    "phrase too long": _responses({"intent": "yes", "phrases": ["x" * 101]}, responseType="SPEECH"),
    "phrases without intent": _responses({"keyPadMatch": "1", "phrases": ["có"]}),
    "row without key or intent": _responses({"nextActionId": None}),
    "an intent twice": _responses({"intent": "yes"}, {"intent": "yes"}, responseType="SPEECH"),
    "keypad menu row without key": _responses({"intent": "yes"}, responseType="KEYPAD"),
    "speech menu row without intent": _responses({"keyPadMatch": "1"}, responseType="SPEECH"),
    "too many rows": _responses(*({"keyPadMatch": str(k)} for k in range(13))),
    "wait not a number": _responses(timeout="lâu"),
    "wait zero": _responses(timeout="0"),
    "wait too long": _responses(timeout="90"),
    "too many repeats": _responses(maxRetries="9"),
    "label too long": _action({"label": "x" * 201}),
    "unknown placeholder": _action({"contentText": "Chào {{ten_khach}}"}),
    "link to another scenario": _action({"responses": [{"keyPadMatch": "1", "nextActionId": "OTHER"}]}),
    "transfer target": _action({"type": "TRANSFER_CALL", "transferTo": "số của chị Lan"}),
    "new action of no type": _action({"type": "DANCE"}, on="new"),
    "new call start": _action({"type": "OUTBOUND_CALL"}, on="new"),
    "submit an empty scenario": _flow(_submit_empty),
    "submit a scenario that cannot end": _flow(_submit_one_that_cannot_end),
    "submit an approved scenario": _flow(_submit_approved),
    "approve one not waiting for review": _flow(_approve_approved),
    "reject without a reason": _flow(_reject_without_reason),
    "delete a scenario in use": _flow(_delete_scenario_in_use),
    "delete the call's start": _flow(_delete_action("OUTBOUND_CALL")),
    "delete a linked action": _flow(_delete_action("END_CALL")),
    # values read aloud: the listen panel's samples, contacts' tags, fields' defaults
    "text empty": _read("TEXT", "  "),
    "amount without digits": _read("CURRENCY", "đ"),
    "amount negative": _read("CURRENCY", "-5000"),
    "amount with a fraction": _read("CURRENCY", "1500,5"),
    "amount with a letter": _read("CURRENCY", "12a"),
    "amount ending in a separator": _read("CURRENCY", "15,"),
    "amount starting with a separator": _read("CURRENCY", ",5"),
    "amount with separators misplaced": _read("CURRENCY", "1,50,000"),
    "amount with two decimal separators": _read("CURRENCY", "1.5,2.5"),
    "amount too large": _read("CURRENCY", "9" * 40),
    "number with a word": _read("NUMBER", "mười"),
    "number with a space after the decimal separator": _read("NUMBER", "1.234,5 6"),
    "date written otherwise": _read("DATE", "hôm qua"),
    "date of no month": _read("DATE", "01/13/2026"),
    "date past its month": _read("DATE", "30/02/2026"),
    "date of year 0": _read("DATE", "0000-01-01"),
    "time written otherwise": _read("TIME", "sáng"),
    "time past its hours": _read("TIME", "25:00"),
    "code with a tone mark": _read("SEQ2SEQ", "Ấ12"),
    "code of separators": _read("SEQ2SEQ", "--"),
    # telephony: the trunk and pool forms
    "trunk without host": _trunk(host=" "),
    "trunk host with a space": _trunk(host="sip example.vn"),
    "trunk host with a port": _trunk(host="sip.example.vn:5060"),
    "trunk on the loopback": _trunk(host="127.0.0.1"),
    "trunk on a private address": _trunk(host="10.1.2.3"),
    "trunk host too long": _trunk(host="a" * 256),
    "trunk port": _trunk(port=0),
    "trunk transport": _trunk(transport="tls"),
    "trunk registers without user": _trunk(register=True),
    "trunk calls at once": _trunk(max_concurrent=0),
    "trunk user": _trunk(username="chị lan"),
    "trunk password": _trunk(username="u", password="a\nb"),
    "trunk from domain": _trunk(from_domain="example .vn"),
    "pool without key": _pool(key=" "),
    "pool key too long": _pool(key="K" * 101),
    "pool key taken": _pool(key="TWICE"),
    "pool without numbers": _pool(numbers=[]),
    "pool number with a letter": _pool(numbers=["0287300123x"]),
    "pool number too short": _pool(numbers=["0287"]),
    "pool number with a plus inside": _pool(numbers=["028+7300123"]),
    "pool number with an odd sign": _pool(numbers=["028*7300123"]),
    "pool calls per number": _pool(per_number_concurrency=0),
    "pool trunk": _pool(trunk_id="000000000000000000000000"),
    "pool identity not a URI": _pool(asserted_identity="http://example.vn/me"),
    "pool identity bad tel": _pool(asserted_identity="tel:0287300123"),
    "pool identity host": _pool(asserted_identity="sip:+842873001234@a..b"),
    "pool identity port": _pool(asserted_identity="sip:+842873001234@example.vn:99999"),
    "pool identity with quotes": _pool(asserted_identity='sip:"x"@example.vn'),
    "pool privacy unknown": _pool(privacy="everything"),
    "pool privacy twice": _pool(privacy="id;id"),
    "pool privacy none and more": _pool(privacy="none;id"),
    # applications: the new-application and webhook forms
    "application name empty": _app_name("  "),
    "application name too long": _app_name("x" * 201),
    "webhook empty": _webhook(" "),
    "webhook scheme": _webhook("ftp://hooks.example.com/x"),
    "webhook no scheme": _webhook("hooks.example.com/x"),
    "webhook no host": _webhook("http:///x"),
    "webhook with a space": _webhook("https://hooks.example.com/a b"),
    "webhook port": _webhook("https://hooks.example.com:99999/x"),
    "webhook IPv6": _webhook("https://[::1/x"),
    "webhook domain": _webhook("https://a..b/x"),
    "webhook on the loopback": _webhook("http://127.0.0.1:8799/hook"),
    "webhook on a private address": _webhook("http://192.168.1.10/hook"),
    "webhook too long": _webhook("https://hooks.example.com/" + "x" * 2100),
    # voice: TTS credentials and the recogniser
    "tts vendor": _tts(engine="google"),
    "tts without token": _tts(token=" "),
    "tts vbee without app id": _tts(app_id=""),
    "tts url": _tts(url="ftp://vbee.vn"),
    "tts url with a password": _tts(url="https://u:p@vbee.vn/api"),
    "tts url on the loopback": _tts(url="http://127.0.0.1/tts"),
    "asr engine": _asr(engine="whisper"),
    "asr url": _asr(base_url="asr.example.com"),
    "asr url private": _asr(base_url="http://10.0.0.5/v1"),
    "asr model with a space": _asr(model="large v3"),
    "asr model for fpt": _asr(engine="fpt", base_url="", model="m", api_key="k"),
    "asr key with a space": _asr(api_key="a b"),
    "asr openai without url": _asr(base_url=""),
    "asr fpt without key": _asr(engine="fpt", base_url=""),
    "asr timeout": _asr(timeout=0.5),
    # contacts from a file: the upload, the mapping and the check
    "file empty": _file(b""),
    "file xls": _file(b"\xd0\xcf\x11\xe0" + b"\x00" * 100),
    "file utf-16": _file("Số điện thoại\n".encode("utf-16")),
    "file pdf": _file(b"%PDF-1.7 ..."),
    "file header empty": _file(b"\n0912345678\n"),
    "file not utf-8": _file(b"S\xe1 \xf0i\xe1n tho\xe1i\n0912345678\n"),
    "file cut inside a character": _file("Số điện thoại\n0912345678,Lê".encode()[:-1]),
    "file cell too long": _file(b"So dien thoai,Ghi chu\n0912345678,\"" + b"x" * 140_000 + b"\"\n",
                                limits=file_import.Limits(1_000_000, 50)),
    "file xlsx broken": _file(b"PK\x03\x04" + b"\x00" * 100),
    "file too large": _file(b"So dien thoai\n" + b"0912345678\n" * 30, limits=file_import.Limits(100, 50)),
    "file too many rows": _file(b"So dien thoai\n" + b"0912345678\n" * 30,
                                limits=file_import.Limits(10_000, 5)),
    "file without rows": _file("Số điện thoại,Họ tên\n".encode()),
    "file without a phone column": _file("Tên,Tiền\nLan,5000\n".encode()),
    "file two columns on one field": _file("Số điện thoại,SĐT\n0912345678,0912345679\n".encode(),
                                           positions={0: "phone_number", 1: "phone_number"}),
    "file column missing": _file("Số điện thoại\n0912345678\n".encode(), positions={3: "ho_ten"}),
    "file for a closed campaign": _file("Số điện thoại\n0912345678\n".encode(), closed=True),
    "rows": _rows(
        "0912abc345,Lan,150000",
        ",Lan,150000",
        "0912,Lan,150000",
        "+1 999,Lan,150000",
        "0912345678,Lan,mười lăm nghìn",
        "0912345679," + "x" * 2001 + ",150000",
        "0912345,Lan,150000",
        "+8491234567890123,Lan,150000",
        "0912345670,Lan,",
        "0912345671,Lan,150000",
        "0912345671,Minh,90000",
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_reason_a_form_can_show_is_said_in_vietnamese_and_english(world: World, case: str) -> None:
    found = CASES[case](world)
    assert found, f"{case}: no reason"
    for reason in found:
        vietnamese = reasons.translate(reason, VI)
        assert vietnamese is not None, f"no rule says {reason!r}"
        assert english_words(vietnamese) == [], f"{reason!r} -> {vietnamese!r}"
        english = reasons.translate(reason, EN)
        assert english is not None and english != vietnamese, f"{vietnamese!r} has no English"


# --- what the campaign forms show: pydantic's errors by type, the service's by rule --------------


def _shown(fields: dict[str, str], rest: str | None) -> list[str]:
    return [*fields.values(), *([rest] if rest else [])]


@pytest.mark.parametrize(
    "patch",
    [
        {"max_concurrent": "0"},
        {"max_concurrent": "mười"},
        {"calls_per_second": "nhanh"},
        {"calls_per_second": "0"},
        {"retry": {"busy": {"max_attempts": "99", "interval": 60}}},
        {"start_date": "hôm nay"},
        {"amd_mode": "sometimes"},
        {"timezone": "Mars/Olympus"},
        {"hours": [{"start": "10:00", "end": "09:00"}]},
        {"days": []},
        {"start_date": "2026-05-02", "end_date": "2026-05-01"},
    ],
)
def test_the_settings_form_says_the_settings_rules_in_the_pages_language(patch: dict[str, Any]) -> None:
    with pytest.raises(ApiError) as refused:
        campaign_service.normalise_overrides(patch)
    for language in (VI, EN):
        shown = _shown(*campaign_forms.api_errors(refused.value, language, campaign_forms_fields()))
        assert shown, patch
        if language is VI:
            assert all(english_words(text) == [] for text in shown), shown
    assert _shown(*campaign_forms.api_errors(refused.value, VI, campaign_forms_fields())) != _shown(
        *campaign_forms.api_errors(refused.value, EN, campaign_forms_fields())
    )


def campaign_forms_fields() -> set[str]:
    return {"timezone", "days", "hours", "start_date", "end_date", "max_concurrent", "calls_per_second",
            "amd_mode", "retry.busy.max_attempts", "retry.busy.interval"}  # fmt: skip


@pytest.mark.parametrize("name", ["", "x" * 201])
def test_a_new_campaigns_name_is_refused_in_vietnamese(name: str) -> None:
    with pytest.raises(ValidationError) as refused:
        CampaignCreate.model_validate({"name": name})
    fields, rest = campaign_forms.model_errors(refused.value, VI, {"name"})
    assert rest is None and english_words(fields["name"]) == [], fields


def test_a_start_refusal_names_each_field_by_its_label(world: World) -> None:
    with world.db.transaction() as session:
        campaign = campaign_service.create_campaign(
            session=session, application_id=world.demo.application_id, name="c"
        )
        campaign.settings = {"pool_hotline_key": "NOPE"}
        with pytest.raises(ApiError) as refused:
            lifecycle.check_ready(session, campaign, world.demo.account_id)
        session.rollback()
    fields, message = campaign_forms.api_errors(refused.value, VI, set())
    assert fields == {}
    assert message == (
        "Kịch bản của chiến dịch: Chiến dịch chưa có kịch bản (không có gì để nói với người được gọi): "
        "hãy chọn một kịch bản đã duyệt. Nhóm số gọi ra: Không có nhóm số nào có khóa 'NOPE'."
    )


def test_a_reason_no_rule_knows_is_shown_as_it_came() -> None:
    assert reasons.translate("the moon is made of cheese", VI) is None
    assert reasons.explain("the moon is made of cheese", VI) == "the moon is made of cheese"
    # a nested reason no rule knows stays inside the sentence around it
    assert (
        reasons.explain("'0287': phone_number is made of cheese", VI)
        == "'0287': phone_number is made of cheese"
    )


def test_english_is_told_from_vietnamese_by_its_words_outside_quotes() -> None:
    assert english_words("scenario_id: the campaign has no scenario") == [
        "the",
        "campaign",
        "has",
        "no",
        "scenario",
    ]
    assert (
        english_words("Thẻ {{ten}} không phải trường 'the name' (RFC 3966, AICALL_SIP_ALLOW_PRIVATE)") == []
    )
    assert english_words("Không phải URI tel toàn cầu") == []


def test_the_check_step_refuses_no_row_of_a_good_file(world: World) -> None:
    assert _rows("0912345600,Lan,150000")(world) == []
