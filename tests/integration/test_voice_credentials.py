"""An account's own TTS vendor credentials: sealed at rest, used by its calls over the platform's."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text

from aicall.accounts import voice_credentials
from aicall.accounts.secrets_box import SecretBox
from aicall.config import Settings
from aicall.db.engine import Database
from aicall.engine import PrompterFactory
from aicall.errors import ValidationFailed
from aicall.interpreter.script import Script
from aicall.scenarios import service as scenario_service
from aicall.scenarios.schemas import ScenarioCreate
from aicall.speech.selection import VendorCredentials
from aicall.speech.tts import EspeakEngine, VbeeEngine
from tests.integration.support import SECRET_KEY, Tenant

BOX = SecretBox(SECRET_KEY)


def test_credentials_are_sealed_at_rest_and_opened_for_the_account(db: Database, tenant: Tenant) -> None:
    with db.transaction() as session:
        voice_credentials.set_credentials(
            session=session,
            box=BOX,
            account_id=tenant.account_id,
            engine="vbee",
            app_id="app-1",
            token="tok-secret",
        )
    with db.reading() as session:
        stored = session.execute(text("SELECT token_encrypted FROM voice_credentials")).scalar_one()
        opened = voice_credentials.for_application(
            session=session, box=BOX, application_id=tenant.application_id
        )

    assert "tok-secret" not in stored
    assert opened == {"vbee": VendorCredentials(url="", app_id="app-1", token="tok-secret")}


def test_setting_credentials_again_replaces_them_and_removing_forgets_them(
    db: Database, tenant: Tenant
) -> None:
    with db.transaction() as session:
        for token in ("old", "new"):
            voice_credentials.set_credentials(
                session=session, box=BOX, account_id=tenant.account_id, engine="fpt", token=token
            )
    with db.reading() as session:
        assert (
            voice_credentials.for_account(session=session, box=BOX, account_id=tenant.account_id)["fpt"].token
            == "new"
        )
    with db.transaction() as session:
        assert voice_credentials.remove_credentials(
            session=session, account_id=tenant.account_id, engine="fpt"
        )
        assert not voice_credentials.remove_credentials(
            session=session, account_id=tenant.account_id, engine="fpt"
        )
    with db.reading() as session:
        assert voice_credentials.for_account(session=session, box=BOX, account_id=tenant.account_id) == {}


@pytest.mark.parametrize(
    ("engine", "app_id", "token", "field"),
    [("azure", "", "t", "engine"), ("vbee", "", "t", "app_id"), ("fpt", "", " ", "token")],
)
def test_incomplete_credentials_are_refused_naming_the_field(
    db: Database, tenant: Tenant, engine: str, app_id: str, token: str, field: str
) -> None:
    with db.transaction() as session, pytest.raises(ValidationFailed) as refused:
        voice_credentials.set_credentials(
            session=session, box=BOX, account_id=tenant.account_id, engine=engine, app_id=app_id, token=token
        )
    assert refused.value.details[0]["field"] == field


def test_the_call_path_speaks_an_accounts_aicall_voice_with_its_own_vbee_credentials(
    db: Database, tenant: Tenant, tmp_path: Path
) -> None:
    with db.transaction() as session:
        scenario = scenario_service.create_scenario(
            session=session, application_id=tenant.application_id, data=ScenarioCreate(name="Nhắc nợ")
        )
        voice_credentials.set_credentials(
            session=session,
            box=BOX,
            account_id=tenant.account_id,
            engine="vbee",
            app_id="acct-app",
            token="acct-tok",
        )
    factory = PrompterFactory(Settings(data_dir=tmp_path), db=db, box=BOX)
    code = "hn_female_ngochuyen_full_48k-fhg"

    own = factory(Script(scenario_id=scenario.id, root_action_id="r", actions={}, voice_code=code), True)
    other = factory(
        Script(scenario_id="no-such-scenario", root_action_id="r", actions={}, voice_code=code), True
    )

    assert isinstance(own.engine, VbeeEngine) and own.engine.app_id == "acct-app"  # type: ignore[attr-defined]
    assert own.voice == code
    assert isinstance(other.engine, EspeakEngine)  # no credentials anywhere: espeak-ng in its region
