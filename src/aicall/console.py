"""Printing records for people (Rich tables) or for programs (`--json`): every list and show
command of the CLI prints through here, so they all read alike."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

__all__ = ["Column", "cell", "print_json", "print_record", "print_table"]

Column = tuple[str, str]  # (key in the record, heading)

# A table piped to a file or another program is as wide as its content: cut at the 80
# columns Rich assumes off a terminal, it would wrap the ids people copy from it.
_PIPE_WIDTH = 10_000


def _show(renderable: Any) -> None:
    console = Console(highlight=False, soft_wrap=False)
    if console.is_terminal:
        console.print(renderable)
        return
    piped = Console(highlight=False, soft_wrap=False, width=_PIPE_WIDTH, color_system=None)
    with piped.capture() as captured:
        piped.print(renderable)
    # Rich pads every cell to its column's width; a file or a grep needs no trailing blanks.
    print("\n".join(line.rstrip() for line in captured.get().splitlines()))


def cell(value: Any) -> str:
    """One value as a table shows it: nothing for None, yes/no, lists joined, dicts as JSON."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list | tuple):
        return ", ".join(cell(item) for item in value)
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)


def print_json(data: Any) -> None:
    """One JSON document on standard output (UTF-8 as is: Vietnamese names stay readable)."""
    print(json.dumps(data, ensure_ascii=False, default=str))


def print_table(
    rows: Sequence[Mapping[str, Any]], columns: Sequence[Column], *, title: str | None = None, empty: str
) -> None:
    """Rows as a table with the given columns; `empty` is printed instead when there are none."""
    if not rows:
        print(empty)
        return
    table = Table(title=Text(title) if title else None, title_justify="left")
    for _key, heading in columns:
        table.add_column(heading, overflow="fold")
    for row in rows:
        table.add_row(*(Text(cell(row.get(key))) for key, _ in columns))  # Text: never markup
    _show(table)


def print_record(record: Mapping[str, Any], *, fields: Sequence[Column] | None = None) -> None:
    """One object as `heading  value` lines (all its scalar fields, or `fields` in order)."""
    chosen = fields or [(key, key) for key, value in record.items() if not isinstance(value, list | dict)]
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column(overflow="fold")
    for key, heading in chosen:
        grid.add_row(Text(heading), Text(cell(record.get(key))))
    _show(grid)
