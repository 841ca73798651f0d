"""A dialler's cold start: every call task of the first pass asks for the SIP backend at once.
With a fixed SIP port (IP-authenticated trunks need one) the user agent must bind once and
every call leave from it. Issue 15, fault 6."""

from __future__ import annotations

import asyncio
from pathlib import Path

from aicall.calls.outcomes import CallOutcome
from aicall.config import Settings
from aicall.dialer.backends import BackendRouter
from aicall.telephony.session import DialResult, TelephonyBackend

from .conftest import Sipp, assert_sipp_ok, dial_request
from .peers import free_port

CALLS = 50


async def test_fifty_calls_at_a_cold_start_on_a_fixed_port_bind_it_once_and_all_leave(
    sipp: Sipp, tmp_path: Path
) -> None:
    port = free_port()
    settings = Settings(data_dir=tmp_path, sip_host="127.0.0.1", sip_port=port)
    router = BackendRouter(settings)
    await sipp.start("answer_wait_bye.xml", calls=CALLS, timeout=40.0)
    trunk = sipp.trunk()

    async def call(n: int) -> tuple[TelephonyBackend, DialResult]:
        backend = await router.for_trunk(trunk)  # each task, as the dialler's call tasks do
        result = await backend.originate(dial_request(trunk, call_id=f"cold-{n}"))
        if result.session is not None:
            await result.session.hangup()
        return backend, result

    try:
        async with asyncio.timeout(40.0):
            calls = await asyncio.gather(*(call(n) for n in range(CALLS)))
    finally:
        await router.close()

    backends = {id(backend) for backend, _ in calls}
    outcomes = [result.outcome for _, result in calls]
    assert len(backends) == 1
    assert outcomes == [CallOutcome.ANSWERED] * CALLS, [r.reason for _, r in calls if r.session is None]
    assert_sipp_ok(await sipp.wait(timeout=20.0), calls=CALLS)
    # every INVITE came from the one fixed port
    log = (sipp.workdir / "messages.log").read_text(errors="replace")
    assert log.count(f"127.0.0.1:{port};branch=") >= CALLS
