"""Can we speak to this contact (issue 11, "never dial someone we cannot speak to"): every prompt
the call can reach, rendered with the contact's values, a field's default standing in."""

from __future__ import annotations

import itertools
from dataclasses import replace

from aicall.interpreter.script import Action, ActionType, FieldSpec, KeyResponse, Script
from aicall.interpreter.testing import script_of
from aicall.speech.errors import ReadingError, TemplateError
from aicall.speech.readiness import first_unspeakable, reachable_actions, required_fields
from aicall.speech.template import render_text

NAME = FieldSpec("Họ tên", "ho_ten")
AMOUNT = FieldSpec("Số tiền", "so_tien", "CURRENCY")
DUE = FieldSpec("Hạn", "han", "DATE")

MENU = Action(
    id="menu",
    type=ActionType.INTERACTIVE_MENU,
    content_text="Xin chào {{ho_ten}}, khoản {{ so_tien }} sắp đến hạn.",
    responses=(KeyResponse("1", "thanks"), KeyResponse("2", None)),
    no_input_action_id="again",
)
THANKS = Action(
    id="thanks", type=ActionType.PLAY_MESSAGE, content_text="Cảm ơn {{Họ tên}}.", next_action_id="bye"
)
AGAIN = Action(id="again", type=ActionType.END_CALL, content_text="Hạn là {{han}}.")
BYE = Action(id="bye", type=ActionType.END_CALL, content_text="Tạm biệt.")
ORPHAN = Action(id="orphan", type=ActionType.END_CALL, content_text="Mã {{ma}} không ai nghe.")
SCRIPT = replace(
    script_of(MENU, THANKS, AGAIN, BYE, ORPHAN), fields=(NAME, AMOUNT, DUE, FieldSpec("Mã", "ma"))
)


def test_every_action_reachable_by_any_answer_is_found_and_no_other():
    ids = [action.id for action in reachable_actions(SCRIPT)]
    assert set(ids) - {SCRIPT.root_action_id} == {"menu", "thanks", "again", "bye"}


def test_a_missing_value_read_by_a_reachable_prompt_is_named():
    problem = first_unspeakable(SCRIPT, {"ho_ten": "Lan", "han": "01/02/2025"})
    assert problem is not None and problem.field == "Số tiền"
    assert "so_tien" in problem.reason


def test_a_value_that_cannot_be_read_is_named_too():
    problem = first_unspeakable(SCRIPT, {"ho_ten": "Lan", "so_tien": "12a", "han": "01/02/2025"})
    assert problem is not None and problem.field == "Số tiền" and "12a" in problem.reason


def test_a_prompt_only_an_unreachable_action_reads_does_not_count():
    assert first_unspeakable(SCRIPT, {"ho_ten": "Lan", "so_tien": "150000", "han": "01/02/2025"}) is None
    assert [f.key for f in required_fields(SCRIPT)] == ["ho_ten", "so_tien", "han"]


def test_a_default_stands_in_for_a_missing_value():
    defaulted = replace(SCRIPT, fields=(NAME, replace(AMOUNT, default="0"), replace(DUE, default="hôm nay")))
    assert [f.key for f in required_fields(defaulted)] == ["ho_ten"]
    problem = first_unspeakable(defaulted, {"ho_ten": "Lan"})
    # "hôm nay" is no DATE: a default is read like a value (the scenario API refuses such a one)
    assert problem is not None and problem.field == "Hạn"
    fine = replace(defaulted, fields=(NAME, replace(AMOUNT, default="0"), replace(DUE, default="01/01/2025")))
    assert first_unspeakable(fine, {"ho_ten": "Lan"}) is None


def _by_rendering(script: Script, values: dict[str, str]) -> tuple[str | None, str] | None:
    """The rule as first written: render every reachable prompt in turn, the first error wins."""
    for action in reachable_actions(script):
        if action.type is ActionType.OUTBOUND_CALL or not action.content_text:
            continue
        try:
            render_text(action.content_text, script.fields, values, script.dialect)
        except TemplateError as exc:
            return exc.field, str(exc)
        except ReadingError as exc:
            return exc.field, exc.message
    return None


def test_the_planned_check_finds_what_rendering_every_prompt_finds():
    # The check is planned once per script and reads only the values; for every mix of
    # missing, bad and good values (and keys by display name) it must name the same first
    # problem, with the same words, as rendering every prompt does.
    unknown = replace(
        SCRIPT, actions={**SCRIPT.actions, "bye": replace(BYE, content_text="{{ai}} tạm biệt.")}
    )
    choices = {
        "ho_ten": [None, "Lan"],
        "Số tiền": [None, "150000", "12a"],
        "han": [None, "01/02/2025", "mai"],
    }
    checked = 0
    for script in (SCRIPT, unknown, replace(SCRIPT, fields=(NAME, replace(AMOUNT, default="0"), DUE))):
        for name, amount, due in itertools.product(*choices.values()):
            values = {k: v for k, v in zip(choices, (name, amount, due), strict=True) if v is not None}
            problem = first_unspeakable(script, values)
            found = None if problem is None else (problem.field, problem.reason)
            assert found == _by_rendering(script, values), (values, found)
            checked += 1
    assert checked == 54


def test_a_changed_script_is_planned_anew():
    # The dialer loads a new Script object when the scenario changes: a prompt added there
    # must be checked, whatever was planned for the old one.
    values = {"ho_ten": "Lan", "so_tien": "150000", "han": "01/02/2025"}
    assert first_unspeakable(SCRIPT, values) is None
    changed = replace(SCRIPT, actions={**SCRIPT.actions, "bye": replace(BYE, content_text="Mã {{ma}}.")})
    problem = first_unspeakable(changed, values)
    assert problem is not None and problem.field == "Mã"
    assert first_unspeakable(SCRIPT, values) is None
