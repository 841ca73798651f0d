"""The editor's drawing of a scenario: layers from the root, keys on the edges, nothing overlapping."""

from __future__ import annotations

from itertools import combinations

from aicall.interpreter.script import Action, ActionType, KeyResponse, Script
from aicall.scenarios.graph import HANG_UP, NODE_HEIGHT, NODE_WIDTH, Drawing, layout


def script(*actions: Action) -> Script:
    return Script(scenario_id="s", root_action_id="root", actions={a.id: a for a in actions})


ROOT = Action("root", ActionType.OUTBOUND_CALL, label="OUTBOUND_CALL", next_action_id="menu")


def menu(*responses: KeyResponse, **extra: str) -> Action:
    return Action(
        "menu",
        ActionType.INTERACTIVE_MENU,
        label="start",
        content_text="Bấm 1 hoặc 2",
        responses=responses,
        **extra,
    )


def positions(drawing: Drawing) -> dict[str, tuple[float, float, int]]:
    return {n.id: (n.x, n.y, n.layer) for n in drawing.nodes}


def test_actions_are_layered_by_their_distance_from_the_root() -> None:
    drawing = layout(
        script(
            ROOT,
            menu(KeyResponse("1", "yes"), KeyResponse("2", "no")),
            Action("yes", ActionType.END_CALL, label="yes"),
            Action("no", ActionType.PLAY_MESSAGE, label="no", next_action_id="bye"),
            Action("bye", ActionType.END_CALL, label="bye"),
        )
    )
    layers = {n.id: n.layer for n in drawing.nodes}
    assert layers == {"root": 0, "menu": 1, "yes": 2, "no": 2, "bye": 3}
    assert all(n.reachable for n in drawing.nodes)


def test_each_key_is_an_edge_labelled_with_it_from_the_menu_to_its_action() -> None:
    drawing = layout(
        script(
            ROOT,
            menu(KeyResponse("1", "yes"), KeyResponse("2", "no"), no_input_action_id="no"),
            Action("yes", ActionType.END_CALL),
            Action("no", ActionType.END_CALL),
        )
    )
    edges = {(e.source, e.target, e.kind, e.key) for e in drawing.edges}
    assert edges == {
        ("root", "menu", "start", None),
        ("menu", "yes", "key", "1"),
        ("menu", "no", "key", "2"),
        ("menu", "no", "no_input", None),
    }
    # Two edges into the same action leave the menu at different points, so their labels do not overlap.
    into_no = [e for e in drawing.edges if e.target == "no"]
    assert len({(e.label_x, e.label_y) for e in into_no}) == 2


def test_a_key_that_hangs_up_leads_to_a_drawn_hang_up_just_below_its_menu() -> None:
    drawing = layout(
        script(
            ROOT, menu(KeyResponse("1", "yes"), KeyResponse("0", None)), Action("yes", ActionType.END_CALL)
        )
    )
    hang_up = next(n for n in drawing.nodes if n.id == HANG_UP)
    assert hang_up.layer == 2
    assert any(e.target == HANG_UP and e.key == "0" for e in drawing.edges)


def test_a_loop_back_to_the_menu_goes_round_the_side_and_an_unreachable_action_sits_apart() -> None:
    drawing = layout(
        script(
            ROOT,
            menu(KeyResponse("9", "menu"), KeyResponse("1", "again")),
            Action("again", ActionType.PLAY_MESSAGE, next_action_id="menu"),
            Action("draft", ActionType.END_CALL, label="draft"),
        )
    )
    backs = {(e.source, e.target) for e in drawing.edges if e.back}
    assert backs == {("menu", "menu"), ("again", "menu")}
    right_edge = max(n.x + NODE_WIDTH for n in drawing.nodes)
    assert drawing.width > right_edge  # room for the loops
    draft = next(n for n in drawing.nodes if n.id == "draft")
    assert not draft.reachable
    assert draft.layer == max(n.layer for n in drawing.nodes)


def test_no_two_boxes_overlap_and_all_fit_in_the_drawing() -> None:
    keys = [KeyResponse(str(k), f"a{k}") for k in range(1, 8)]
    actions = [Action(f"a{k}", ActionType.END_CALL) for k in range(1, 8)]
    drawing = layout(script(ROOT, menu(*keys), *actions))
    for a, b in combinations(drawing.nodes, 2):
        assert abs(a.x - b.x) >= NODE_WIDTH or abs(a.y - b.y) >= NODE_HEIGHT, (a.id, b.id)
    for n in drawing.nodes:
        assert n.x >= 0 and n.x + NODE_WIDTH <= drawing.width
        assert n.y >= 0 and n.y + NODE_HEIGHT <= drawing.height


def test_a_script_whose_root_is_missing_still_draws_its_actions() -> None:
    drawing = layout(
        Script(scenario_id="s", root_action_id="gone", actions={"x": Action("x", ActionType.END_CALL)})
    )
    assert [n.id for n in drawing.nodes] == ["x"]
    assert drawing.edges == ()
