"""Opt-out over a real SIP call (issue 14; Decree 91/2020/ND-CP Art. 13 cl. 4): SIPp answers and
presses 2 (RFC 4733), the scenario's opt-out key; the number goes on the account's Do-Not-Call
list, and the attempt and both webhooks say so."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from aicall.compliance.models import DncEntry
from aicall.db.engine import Database
from aicall.scenarios.schemas import ActionUpdate

from . import test_campaign_over_sip as campaign_over_sip
from .conftest import Sipp, assert_sipp_ok, write_dtmf_pcap


def _with_opt_out_on_two(monkeypatch: pytest.MonkeyPatch) -> None:
    """The acceptance tenant, its key 2 marked opt-out (it leads to the END_CALL goodbye)."""
    validate = ActionUpdate.model_validate.__func__  # type: ignore[attr-defined]

    def opt_out_two(cls: type[ActionUpdate], data: Any, *args: Any, **kwargs: Any) -> ActionUpdate:
        if isinstance(data, dict) and "responses" in data:
            data = {
                **data,
                "responses": [
                    {**r, "optOut": True} if r.get("keyPadMatch") == "2" else r for r in data["responses"]
                ],
            }
        return validate(cls, data, *args, **kwargs)  # type: ignore[no-any-return]

    monkeypatch.setattr(ActionUpdate, "model_validate", classmethod(opt_out_two))


async def test_the_opt_out_key_pressed_on_sipp_lists_the_number(
    sipp: Sipp, tmp_path, require_tool, monkeypatch
):
    require_tool("espeak-ng")
    _with_opt_out_on_two(monkeypatch)
    write_dtmf_pcap(sipp.workdir / "dtmf.pcap", "2", 101)
    await sipp.start("answer_send_digit.xml", "-key", "dtmf_pt", "101", timeout=40)

    async def nothing_to_do() -> None:  # SIPp's scenario presses the key itself
        return None

    attempt, events = await campaign_over_sip.run_campaign(tmp_path, sipp.port, nothing_to_do)

    assert_sipp_ok(await sipp.wait())
    assert attempt.outcome == "answered" and attempt.keys_pressed == "2" and attempt.opt_out is True
    assert [step["label"] for step in attempt.path] == ["start", "other"]  # the goodbye played
    assert events["call.attempt.finished"]["data"]["attempt"]["opt_out"] is True
    finished = events["contact.finished"]["data"]
    assert finished["status"] == "do_not_call" and finished["compliance"]["reason"] == "opt_out"
    db = Database(f"sqlite:///{tmp_path / 'aicall.db'}")
    try:
        with db.reading() as session:
            listed = session.scalars(select(DncEntry)).all()
    finally:
        db.dispose()
    assert [(e.phone, e.source) for e in listed] == [("+84987654321", "opt_out")]
