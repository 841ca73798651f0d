"""A pool's P-Asserted-Identity and Privacy reach the wire (issue 15): a campaign dials through a
pool that holds them, and SIPp, as a trunk that trusts us, fails the call unless the INVITE
carries both as stored (RFC 3325 §9.1, RFC 3323 §4.2)."""

from __future__ import annotations

from .conftest import Sipp, assert_sipp_ok
from .sip_campaign import run_sip_campaign


async def test_the_invite_of_a_campaign_carries_its_pools_asserted_identity_and_privacy(
    sipp: Sipp, tmp_path, require_tool
):
    require_tool("espeak-ng")
    await sipp.start("answer_check_identity.xml", timeout=40)

    attempt, events, _ = await run_sip_campaign(
        tmp_path, sipp.port, pool={"asserted_identity": "tel:+842873001234", "privacy": "id"}
    )

    assert_sipp_ok(await sipp.wait())  # check_it: a missing or different header fails SIPp's call
    assert attempt.outcome == "answered" and attempt.sip_code == 200
    assert events["call.attempt.finished"]["data"]["attempt"]["outcome"] == "answered"
