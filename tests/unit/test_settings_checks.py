"""Settings that would start a broken engine are refused, naming the variable (the CLI prints it
as one line, exit code 2): found by a fresh-user trial, each had started silently or ended in a
traceback."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from aicall.config import ASR_ENGINES, TTS_ENGINES, Settings
from aicall.speech import asr_http
from aicall.speech.fakes import SilentEngine
from aicall.speech.selection import VoiceEngines


@pytest.mark.parametrize(
    ("environment", "variable"),
    [
        # A live dialer taken for dead: its calls closed as crashed and dialled again.
        ({"AICALL_DIALER_HEARTBEAT": "4", "AICALL_DIALER_STALE_AFTER": "2"}, "dialer_stale_after"),
        ({"AICALL_DIALER_HEARTBEAT": "1", "AICALL_DIALER_STALE_AFTER": "2.9"}, "dialer_stale_after"),
        ({"AICALL_DIALER_HEARTBEAT": "0"}, "dialer_heartbeat"),  # a busy loop against the database
        ({"AICALL_DIALER_TICK": "0"}, "dialer_tick"),
        ({"AICALL_DIALER_TICK": "-1"}, "dialer_tick"),
        ({"AICALL_LOG_LEVEL": "loud"}, "log_level"),
        ({"AICALL_SIM_TIME_SCALE": "-1"}, "sim_time_scale"),
        ({"AICALL_SIM_TIME_SCALE": "nan"}, "sim_time_scale"),
        ({"AICALL_SHUTDOWN_GRACE": "inf"}, "shutdown_grace"),
        ({"AICALL_SIM_RULES": "/nonexistent/phones.toml"}, "sim_rules"),
        ({"AICALL_RTP_PORT_MIN": "50000"}, "rtp_port_max"),  # above the default maximum
        # bind() refuses these with an OverflowError traceback; `token --export` printed them.
        ({"AICALL_PORT": "99999"}, "port"),
        ({"AICALL_PORT": "0"}, "port"),
        # An unknown engine ended serve and worker in a traceback as their engine started.
        ({"AICALL_TTS_ENGINE": "foo"}, "tts_engine"),
        ({"AICALL_ASR_ENGINE": "foo"}, "asr_engine"),
        ({"AICALL_ASR_ENGINE": "openai"}, "asr_base_url"),  # a traceback too
        ({"AICALL_ASR_ENGINE": "fpt"}, "asr_api_key"),
        # Links were built on it, and `token --export` printed BASE=notaurl.
        ({"AICALL_PUBLIC_URL": "notaurl"}, "public_url"),
        ({"AICALL_PUBLIC_URL": "ftp://x y"}, "public_url"),
        ({"AICALL_PUBLIC_URL": "http://calls example.com"}, "public_url"),
        ({"AICALL_PUBLIC_URL": "https://"}, "public_url"),
        ({"AICALL_PUBLIC_URL": "https://calls.example.com:99999"}, "public_url"),
        ({"AICALL_PUBLIC_URL": "https://calls.example.com/?a=1"}, "public_url"),
        # Every number without a country code was "not a valid phone number", with no hint why.
        ({"AICALL_DEFAULT_REGION": "XX"}, "default_region"),
        ({"AICALL_DEFAULT_REGION": ""}, "default_region"),
    ],
)
def test_a_setting_that_would_break_the_engine_is_refused_by_name(monkeypatch, environment, variable):
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError) as refused:
        Settings()
    assert [error["loc"] for error in refused.value.errors()] == [(variable,)]


def test_the_defaults_and_a_consistent_liveness_pair_are_accepted(monkeypatch, tmp_path):
    rules = tmp_path / "phones.toml"
    rules.write_text("")
    monkeypatch.setenv("AICALL_DIALER_HEARTBEAT", "0.3")
    monkeypatch.setenv("AICALL_DIALER_STALE_AFTER", "2")
    monkeypatch.setenv("AICALL_LOG_LEVEL", "WARNING")
    monkeypatch.setenv("AICALL_SIM_RULES", str(rules))
    settings = Settings()
    assert (settings.dialer_heartbeat, settings.dialer_stale_after) == (0.3, 2.0)
    assert settings.log_level == "warning" and settings.sim_rules == rules
    assert (
        Settings.model_fields["dialer_stale_after"].default
        >= 3 * Settings.model_fields["dialer_heartbeat"].default
    )


def test_the_engines_settings_accept_are_those_speech_builds(monkeypatch):
    assert set(ASR_ENGINES) == set(asr_http.ASR_ENGINES)
    for name in TTS_ENGINES:  # each builds (a fake stands in), none is refused
        VoiceEngines(engine=name, build=lambda *_, **__: SilentEngine()).select("espeak:vi")
    monkeypatch.setenv("AICALL_TTS_ENGINE", " Tone ")
    monkeypatch.setenv("AICALL_ASR_ENGINE", "FPT")
    monkeypatch.setenv("AICALL_ASR_API_KEY", "k")
    settings = Settings()
    assert (settings.tts_engine, settings.asr_engine) == ("tone", "fpt")


def test_a_public_url_and_a_region_are_accepted_as_operators_write_them(monkeypatch):
    monkeypatch.setenv("AICALL_PUBLIC_URL", "https://calls.example.com/aicall/")
    monkeypatch.setenv("AICALL_DEFAULT_REGION", "us")
    settings = Settings()
    assert settings.base_url == "https://calls.example.com/aicall"
    assert settings.default_region == "US"  # phonenumbers knows upper case only
    monkeypatch.setenv("AICALL_PUBLIC_URL", "http://[::1]:8000")
    assert Settings().base_url == "http://[::1]:8000"
