"""`AsrEngines`: recognisers built from settings over one connection pool."""

from __future__ import annotations

import pytest

from aicall.speech.asr import EchoAsrEngine
from aicall.speech.asr_http import AsrEngines, AsrSettings, FptAsrEngine, OpenAITranscriptionEngine


async def test_equal_settings_share_an_engine_and_every_http_engine_shares_one_pool() -> None:
    engines = AsrEngines()
    a = engines.recogniser(AsrSettings("openai", base_url="http://127.0.0.1:9/v1", api_key="k1", timeout=4))
    again = engines.recogniser(
        AsrSettings("openai", base_url="http://127.0.0.1:9/v1", api_key="k1", timeout=7)
    )
    other = engines.recogniser(AsrSettings("fpt", api_key="k2"))
    try:
        assert isinstance(a.engine, OpenAITranscriptionEngine) and again.engine is a.engine
        assert (a.timeout, again.timeout) == (4, 7)  # the timeout is the call's, not the engine's
        assert isinstance(other.engine, FptAsrEngine)
        assert other.engine._client is a.engine._client  # one pool
    finally:
        await engines.aclose()


async def test_echo_and_none_open_no_pool() -> None:
    engines = AsrEngines()
    assert isinstance(engines.recogniser(AsrSettings("echo")).engine, EchoAsrEngine)
    assert engines.recogniser(AsrSettings("none")).engine is None
    assert engines._client is None
    await engines.aclose()


def test_the_key_is_not_in_the_settings_repr() -> None:
    assert "sk-secret" not in repr(AsrSettings("fpt", api_key="sk-secret"))


def test_a_setting_an_engine_cannot_run_with_is_refused() -> None:
    with pytest.raises(ValueError, match="AICALL_ASR_API_KEY"):
        AsrEngines().recogniser(AsrSettings("fpt"))
