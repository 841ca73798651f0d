"""The SIP-code -> outcome table documented in docs/sip.md."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from aicall.calls.outcomes import CallOutcome
from aicall.telephony.sip import outcome_for_status, outcome_table

DOC = Path(__file__).resolve().parents[2] / "docs" / "sip.md"


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (200, CallOutcome.ANSWERED),
        (486, CallOutcome.BUSY),
        (600, CallOutcome.BUSY),
        (480, CallOutcome.NO_ANSWER),
        (487, CallOutcome.NO_ANSWER),
        (408, CallOutcome.NO_ANSWER),
        (603, CallOutcome.REJECTED),
        (607, CallOutcome.REJECTED),
        (404, CallOutcome.INVALID_NUMBER),
        (484, CallOutcome.INVALID_NUMBER),
        (604, CallOutcome.INVALID_NUMBER),
        (403, CallOutcome.FAILED),
        (401, CallOutcome.FAILED),
        (302, CallOutcome.FAILED),
        (488, CallOutcome.FAILED),
        (503, CallOutcome.FAILED),
        (499, CallOutcome.FAILED),
    ],
)
def test_sip_final_response_maps_to_its_outcome(status: int, outcome: CallOutcome) -> None:
    assert outcome_for_status(status) is outcome


def test_every_exact_code_of_the_table_is_documented() -> None:
    doc = DOC.read_text()
    table = doc[doc.index("## SIP final responses and outcomes") :]
    table = table[: table.index("\n## ", 10)]
    for status, outcome in outcome_table().items():
        row = next((line for line in table.splitlines() if re.search(rf"\b{status}\b", line)), None)
        assert row is not None, f"{status} missing from docs/sip.md"
        assert f"`{outcome.value}`" in row, f"{status}: docs/sip.md disagrees with the code"
