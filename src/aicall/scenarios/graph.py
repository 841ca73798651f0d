"""A scenario's action graph laid out for drawing: boxes in layers, keypad edges as curves.

Pure (a `Script` in, coordinates out), so the editor draws it as inline SVG with no JavaScript
graph library. The layout is the classic layered one (Sugiyama et al., 1981) cut down to what
call scripts need: layers by shortest distance from the root (breadth first), a few barycentre
sweeps to untangle crossings, forward edges as vertical Bézier curves, and edges that go back
up (loops such as "press 9 to hear again") routed round the right-hand side so they never cross
a box. Scripts have tens of actions, so the quadratic parts do not matter.

Coordinates are SVG user units (pixels at 100 % zoom), origin top left.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from aicall.interpreter.script import Action, ActionType, Script

__all__ = ["HANG_UP", "Drawing", "Edge", "Node", "layout"]

NODE_WIDTH = 176
NODE_HEIGHT = 58
COLUMN_GAP = 40  # between boxes of one layer
LAYER_GAP = 96  # between the bottom of one layer and the top of the next: room for edge labels
MARGIN = 24
LOOP_ROOM = 90  # to the right of the widest layer, where edges going back up are routed
HANG_UP = "hang-up"  # id of the drawn-only node where keys with no next action lead
_SWEEPS = 4
_PREVIEW_CHARS = 26


@dataclass(frozen=True, slots=True)
class Node:
    id: str
    label: str
    type: str  # an ActionType value, or HANG_UP
    preview: str  # the start of the prompt, for the box's second line
    x: float  # top left corner
    y: float
    layer: int
    reachable: bool  # False: no path from the root leads here (a call never says it)

    @property
    def width(self) -> int:
        return NODE_WIDTH

    @property
    def height(self) -> int:
        return NODE_HEIGHT

    @property
    def center_x(self) -> float:
        return self.x + NODE_WIDTH / 2


@dataclass(frozen=True, slots=True)
class Edge:
    source: str
    target: str
    kind: str  # "start" | "key" | "next" | "no_input" | "invalid"
    key: str | None  # the keypad match, for kind "key"
    path: str  # SVG path data
    label_x: float
    label_y: float
    back: bool  # drawn round the side: it goes to an earlier (or the same) layer


@dataclass(frozen=True, slots=True)
class Drawing:
    nodes: tuple[Node, ...]
    edges: tuple[Edge, ...]
    width: float
    height: float


@dataclass(frozen=True, slots=True)
class _Link:
    source: str
    target: str
    kind: str
    key: str | None


def _links(script: Script) -> list[_Link]:
    """Every drawn transition; keys that hang up lead to HANG_UP, dangling targets are skipped."""
    found: list[_Link] = []

    def add(source: Action, target: str | None, kind: str, key: str | None = None) -> None:
        if target is None:
            if kind == "key":
                found.append(_Link(source.id, HANG_UP, kind, key))
        elif target in script.actions:
            found.append(_Link(source.id, target, kind, key))

    for action in script.actions.values():
        match action.type:
            case ActionType.OUTBOUND_CALL:
                add(action, action.next_action_id, "start")
            case ActionType.PLAY_MESSAGE:
                add(action, action.next_action_id, "next")
            case ActionType.INTERACTIVE_MENU:
                for response in action.responses:
                    add(action, response.next_action_id, "key", response.key or response.intent or "")
                add(action, action.no_input_action_id, "no_input")
                add(action, action.invalid_action_id, "invalid")
    return found


def _layers(script: Script, links: list[_Link]) -> tuple[dict[str, int], set[str]]:
    """Layer of each node (shortest distance from the root) and the ids reachable from it."""
    successors: dict[str, list[str]] = {}
    for link in links:
        successors.setdefault(link.source, []).append(link.target)
    layer: dict[str, int] = {}
    if script.root_action_id in script.actions:
        layer[script.root_action_id] = 0
        queue = deque([script.root_action_id])
        while queue:
            current = queue.popleft()
            for target in successors.get(current, []):
                if target not in layer and target != HANG_UP:
                    layer[target] = layer[current] + 1
                    queue.append(target)
    reachable = set(layer)
    deepest = max(layer.values(), default=-1)
    hanging_up = [layer[link.source] for link in links if link.target == HANG_UP and link.source in layer]
    if any(link.target == HANG_UP for link in links):
        # Just below the deepest menu with a key that hangs up: short edges, no extra row.
        layer[HANG_UP] = max(hanging_up, default=deepest) + 1
        deepest = max(deepest, layer[HANG_UP])
    # Actions no call reaches (being built, or cut off by an edit): one row at the bottom.
    for action_id in script.actions:
        if action_id not in layer:
            layer[action_id] = deepest + 1
    return layer, reachable


def _order(layer: dict[str, int], links: list[_Link], first_seen: list[str]) -> list[list[str]]:
    """Rows of node ids, ordered to reduce crossings (barycentre of the layer above)."""
    rows: list[list[str]] = [[] for _ in range(max(layer.values(), default=-1) + 1)]
    for node_id in first_seen:
        rows[layer[node_id]].append(node_id)
    predecessors: dict[str, list[str]] = {}
    for link in links:
        if layer[link.target] == layer[link.source] + 1:
            predecessors.setdefault(link.target, []).append(link.source)
    for _ in range(_SWEEPS):
        for index in range(1, len(rows)):
            above = {node_id: position for position, node_id in enumerate(rows[index - 1])}

            def barycentre(node_id: str, current: int, above: dict[str, int] = above) -> float:
                parents = [above[p] for p in predecessors.get(node_id, []) if p in above]
                return sum(parents) / len(parents) if parents else float(current)

            rows[index] = [
                node_id
                for _, _, node_id in sorted(
                    (barycentre(node_id, position), position, node_id)
                    for position, node_id in enumerate(rows[index])
                )
            ]
    return rows


def _discovery_order(script: Script, links: list[_Link]) -> list[str]:
    """Node ids in breadth-first order from the root, then the rest in creation order."""
    successors: dict[str, list[str]] = {}
    for link in links:
        successors.setdefault(link.source, []).append(link.target)
    order: list[str] = []
    seen: set[str] = set()
    queue = deque([script.root_action_id] if script.root_action_id in script.actions else [])
    while queue:
        current = queue.popleft()
        if current in seen:
            continue
        seen.add(current)
        order.append(current)
        queue.extend(successors.get(current, []))
    order += [action_id for action_id in script.actions if action_id not in seen]
    if any(link.target == HANG_UP for link in links) and HANG_UP not in seen:
        order.append(HANG_UP)
    return order


def _preview(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _PREVIEW_CHARS else text[: _PREVIEW_CHARS - 1].rstrip() + "…"


def _mid(
    p0: tuple[float, float], p1: tuple[float, float], p2: tuple[float, float], p3: tuple[float, float]
) -> tuple[float, float]:
    """The point of a cubic Bézier curve at t = 1/2."""
    return (
        (p0[0] + 3 * p1[0] + 3 * p2[0] + p3[0]) / 8,
        (p0[1] + 3 * p1[1] + 3 * p2[1] + p3[1]) / 8,
    )


def _curve(
    p0: tuple[float, float], p1: tuple[float, float], p2: tuple[float, float], p3: tuple[float, float]
) -> str:
    return "M {:.1f} {:.1f} C {:.1f} {:.1f}, {:.1f} {:.1f}, {:.1f} {:.1f}".format(*p0, *p1, *p2, *p3)


def layout(script: Script) -> Drawing:
    """Where to draw each action and each transition of `script`."""
    links = _links(script)
    layer, reachable = _layers(script, links)
    rows = _order(layer, links, _discovery_order(script, links))
    widest = max((len(row) for row in rows), default=0)
    content_width = widest * NODE_WIDTH + max(widest - 1, 0) * COLUMN_GAP
    has_back = any(layer[link.target] <= layer[link.source] for link in links)
    width = 2 * MARGIN + content_width + (LOOP_ROOM if has_back else 0)
    height = 2 * MARGIN + len(rows) * NODE_HEIGHT + max(len(rows) - 1, 0) * LAYER_GAP

    nodes: dict[str, Node] = {}
    for index, row in enumerate(rows):
        row_width = len(row) * NODE_WIDTH + max(len(row) - 1, 0) * COLUMN_GAP
        left = MARGIN + (content_width - row_width) / 2
        top = MARGIN + index * (NODE_HEIGHT + LAYER_GAP)
        for position, node_id in enumerate(row):
            action = script.actions.get(node_id)
            nodes[node_id] = Node(
                id=node_id,
                label=(action.label if action is not None else "") or "",
                type=action.type.value if action is not None else HANG_UP,
                preview=_preview(action.content_text) if action is not None else "",
                x=left + position * (NODE_WIDTH + COLUMN_GAP),
                y=top,
                layer=index,
                reachable=node_id in reachable or node_id == HANG_UP,
            )

    # Spread the edges leaving one box along its bottom edge, in the order they are listed
    # (key 1, key 2, ..., no input, invalid), so edges to the same target stay apart.
    leaving: dict[str, list[_Link]] = {}
    for link in links:
        leaving.setdefault(link.source, []).append(link)
    edges: list[Edge] = []
    loop_column = MARGIN + content_width + LOOP_ROOM * 0.6
    for source_id, outgoing in leaving.items():
        source = nodes[source_id]
        forward = [link for link in outgoing if layer[link.target] > layer[link.source]]
        spacing = min(28.0, NODE_WIDTH / (len(forward) + 1))
        for link in outgoing:
            target = nodes[link.target]
            if link in forward:
                offset = (forward.index(link) - (len(forward) - 1) / 2) * spacing
                p0 = (source.center_x + offset, source.y + NODE_HEIGHT)
                p3 = (target.center_x, target.y)
                bend = (p3[1] - p0[1]) / 2
                p1, p2 = (p0[0], p0[1] + bend), (p3[0], p3[1] - bend)
                back = False
            else:
                # Out of the source's right side, round the right of the drawing, into the target's.
                p0 = (source.x + NODE_WIDTH, source.y + NODE_HEIGHT * 0.65)
                p3 = (target.x + NODE_WIDTH, target.y + NODE_HEIGHT * 0.35)
                reach = max(loop_column, p0[0] + 40, p3[0] + 40)
                p1, p2 = (reach, p0[1] + 20), (reach, p3[1] - 20)
                back = True
            label_x, label_y = _mid(p0, p1, p2, p3)
            edges.append(
                Edge(
                    source=link.source,
                    target=link.target,
                    kind=link.kind,
                    key=link.key,
                    path=_curve(p0, p1, p2, p3),
                    label_x=round(label_x, 1),
                    label_y=round(label_y, 1),
                    back=back,
                )
            )
    ordered = tuple(nodes[node_id] for row in rows for node_id in row)
    return Drawing(nodes=ordered, edges=tuple(edges), width=width, height=height)
