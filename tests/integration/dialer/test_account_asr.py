"""Each account's calls are heard by its own recogniser: two accounts with their own
OpenAI-compatible transcription servers (local stand-ins), one that turned recognition off, and
one on the platform's, dialled together on the simulator whose phones say their words."""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from aicall.accounts import speech_settings
from aicall.accounts.secrets_box import SecretBox
from aicall.config import Settings
from aicall.db.engine import Database
from aicall.dialer.backends import BackendRouter
from aicall.dialer.scheduler import Dialer
from aicall.interpreter.prompter import TextPrompter
from aicall.interpreter.script import Action, ActionType, KeyResponse, ResponseType
from aicall.speech.tts import EspeakEngine
from aicall.telephony.sim import SimBackend, SimRules
from tests.integration.dialer import support
from tests.integration.dialer.support import add_contacts, prepare_campaign, run_until_idle, snapshot
from tests.integration.support import SECRET_KEY, Tenant, free_port, make_tenant

BOX = SecretBox(SECRET_KEY)
MENU = Action(
    id="menu",
    type=ActionType.INTERACTIVE_MENU,
    label="start",
    content_text="Xin chào {{ho_ten}}, anh có xác nhận lịch hẹn không?",
    responses=(KeyResponse("", "thanks", intent="yes"), KeyResponse("", "bye", intent="call_back_later")),
    response_type=ResponseType.SPEECH,
    timeout=3,
    max_retries=0,
)
# Every phone says the same words: what each call heard can only come from its account's server.
PHONES = {
    "alpha": "+84987650011",
    "beta": "+84987650012",
    "silent": "+84987650013",
    "platform": "+84987650014",
    "down": "+84987650015",
}
RULES = SimRules.from_dict({"rules": [{"suffix": "", "say": "dạ vâng, đúng rồi"}]})


@dataclass
class TranscriptionServer:
    """Speaks `POST /v1/audio/transcriptions` (multipart), answering `text` to every request."""

    text: str
    url: str = ""
    requests: list[tuple[str, str, bytes]] = field(default_factory=list)  # path, Authorization, body


@pytest.fixture
def servers() -> Iterator[dict[str, TranscriptionServer]]:
    made: dict[str, TranscriptionServer] = {}
    running: list[ThreadingHTTPServer] = []
    for name, text in (("alpha", "vâng, đúng rồi"), ("beta", "bận lắm, gọi lại sau nhé")):
        state = TranscriptionServer(text)

        class Handler(BaseHTTPRequestHandler):
            server_state = state

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                self.server_state.requests.append((self.path, self.headers.get("Authorization", ""), body))
                data = json.dumps({"text": self.server_state.text}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        httpd.daemon_threads = True
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        state.url = f"http://127.0.0.1:{httpd.server_address[1]}/v1"
        made[name] = state
        running.append(httpd)
    try:
        yield made
    finally:
        for httpd in running:
            httpd.shutdown()
            httpd.server_close()


def _speaker():  # type: ignore[no-untyped-def]
    if shutil.which("espeak-ng") is None:
        if os.environ.get("AICALL_REQUIRE_TOOLS") == "1":
            pytest.fail("espeak-ng is not installed")
        pytest.skip("espeak-ng is not installed")
    engine = EspeakEngine()

    async def speak(words: str) -> bytes:
        return await engine.synthesize(words, voice="vi")

    return speak


def _tenant(db: Database, name: str) -> Tenant:
    tenant = make_tenant(db, name)
    prepare_campaign(db, tenant, retry={})
    add_contacts(db, tenant, [PHONES[name]])
    return tenant


async def test_each_accounts_calls_are_heard_by_its_own_recogniser(
    db: Database, tmp_path, monkeypatch, servers: dict[str, TranscriptionServer]
) -> None:
    monkeypatch.setattr(
        support, "SCRIPT", replace(support.SCRIPT, actions={**support.SCRIPT.actions, "menu": MENU})
    )
    speak = _speaker()
    tenants = {name: _tenant(db, name) for name in PHONES}
    with db.transaction() as session:
        for name in ("alpha", "beta"):
            speech_settings.set_asr(
                session=session,
                box=BOX,
                account_id=tenants[name].account_id,
                engine="openai",
                base_url=servers[name].url,
                api_key=f"key-of-{name}",
                timeout=5,
            )
        speech_settings.set_asr(
            session=session, box=BOX, account_id=tenants["silent"].account_id, engine="none"
        )
        # Nothing listens there: the recogniser fails, the call goes on down the no-input path.
        speech_settings.set_asr(
            session=session,
            box=BOX,
            account_id=tenants["down"].account_id,
            engine="openai",
            base_url=f"http://127.0.0.1:{free_port()}/v1",
        )
    settings = Settings(
        data_dir=tmp_path, database_url=db.url, secret_key=SECRET_KEY, run_engine=False, asr_engine="echo"
    )
    dialer = Dialer(
        db=db,
        box=BOX,
        settings=settings,
        router=BackendRouter(settings, sim=SimBackend(time_scale=0, rules=RULES, speaker=speak)),
        load_script=lambda _session, _scenario_id: support.SCRIPT,
        load_call_config=lambda _session, _scenario_id: {},
        prompter_for=lambda _script, _audio: TextPrompter(),
    )
    try:
        await run_until_idle(dialer)
    finally:
        await dialer.asr.aclose()

    heard = {name: snapshot(db, tenants[name]).attempts[PHONES[name]][0].path[0]["heard"] for name in PHONES}
    paths = {
        name: [step["action_id"] for step in snapshot(db, tenants[name]).attempts[PHONES[name]][0].path]
        for name in PHONES
    }
    # alpha's server hears "yes", beta's "call back later": the same words, two recognisers.
    assert (heard["alpha"]["engine"], heard["alpha"]["transcript"], heard["alpha"]["intent"]) == (
        "openai",
        "vâng, đúng rồi",
        "yes",
    )
    assert paths["alpha"] == ["menu", "thanks"]
    assert (heard["beta"]["engine"], heard["beta"]["intent"]) == ("openai", "call_back_later")
    assert paths["beta"] == ["menu", "bye"]
    # Each server got exactly its account's one utterance, as a WAV, with its account's key.
    for name in ("alpha", "beta"):
        [(path, authorization, body)] = servers[name].requests
        assert path == "/v1/audio/transcriptions" and authorization == f"Bearer key-of-{name}"
        assert b"RIFF" in body and len(body) > 8000
    # `none`: recognition off for that account only; the platform's echo hears the others.
    assert heard["silent"]["engine"] == "none" and heard["silent"]["transcript"] is None
    assert (heard["platform"]["engine"], heard["platform"]["intent"]) == ("echo", "yes")
    assert heard["down"]["transcript"] is None and heard["down"]["engine"] == "openai"
    assert "ConnectError" in heard["down"]["error"] and paths["down"] == ["menu"]
