"""README's configuration table quotes `aicall.config.Settings`: every variable it names is a
setting, and every default it gives is the one the code uses (issue 12: the docs match)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from aicall.config import Settings

ROOT = Path(__file__).resolve().parents[2]
DEFAULTS = Settings.model_fields

# Defaults the table describes rather than quotes, each with what the code must then hold.
DESCRIBED = {
    "AICALL_DATABASE_URL": lambda s: (
        s.database_url == "" and s.resolved_database_url.endswith("var/aicall.db")
    ),
    "AICALL_SECRET_KEY": lambda s: s.secret_key == "" and str(s.data_dir) == "var",  # var/secret.key
    "AICALL_PUBLIC_URL": lambda s: s.public_url == "" and s.base_url == f"http://{s.host}:{s.port}",
}


def configuration_rows() -> list[tuple[list[str], str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text[text.index("## Configuration") :]
    section = section[: section.index("\n## ", 4)]
    rows = []
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split(" | ")]
        names = re.findall(r"`(AICALL_[A-Z0-9_]+)`", cells[0])
        if line.startswith("|") and names:
            rows.append((names, cells[1]))
    return rows


def _same(written: str, value: Any) -> bool:
    if isinstance(value, bool):
        return written == str(value).lower()
    if isinstance(value, int | float):
        return float(written) == float(value)
    if value is None or value == "":
        return written in ("—", "")
    return written == str(value)


def test_every_variable_in_the_readme_is_a_setting() -> None:
    names = [name for row_names, _ in configuration_rows() for name in row_names]
    assert len(names) > 20
    unknown = [name for name in names if name.removeprefix("AICALL_").lower() not in DEFAULTS]
    assert not unknown, f"README names settings the code does not have: {unknown}"


def test_every_default_in_the_readme_is_the_codes() -> None:
    code = Settings.model_construct()  # the declared defaults, not this environment's values
    for names, cell in configuration_rows():
        if names[0] in DESCRIBED:
            assert DESCRIBED[names[0]](code), f"README {names[0]}: {cell!r} no longer describes the code"
            continue
        parts = cell.split(", ") if len(names) > 1 else [cell]
        assert len(parts) == len(names), f"README {names}: one default each, got {cell!r}"
        written = []
        for part in parts:  # `8388608` (8 MiB), —, `true`
            literal = re.match(r"`([^`]*)`", part)
            assert literal or part.startswith("—"), f"README {names}: {part!r} quotes no default"
            written.append(literal[1] if literal else "—")
        for name, doc in zip(names, written, strict=True):
            value = DEFAULTS[name.removeprefix("AICALL_").lower()].default
            assert _same(doc, value), f"README {name}: default {doc!r}, the code's is {value!r}"


def test_every_default_quoted_in_the_docs_text_is_the_codes() -> None:
    # "`AICALL_MAX_UPLOAD_BYTES` (default 32 MiB; ...)" in docs/*.md: numbers, with their unit.
    units = {"KiB": 1024, "MiB": 1024 * 1024, "GiB": 1024**3}
    quoted = re.compile(r"`(AICALL_[A-Z0-9_]+)` \(default ([\d,.]+)(?: ?(KiB|MiB|GiB)\b)?")
    found = 0
    for doc in sorted((ROOT / "docs").glob("*.md")):
        for name, number, unit in quoted.findall(doc.read_text(encoding="utf-8")):
            value = DEFAULTS[name.removeprefix("AICALL_").lower()].default
            written = float(number.replace(",", "")) * units.get(unit, 1)
            assert written == float(value), (
                f"{doc.name} {name}: default {number} {unit}, the code's is {value!r}"
            )
            found += 1
    assert found >= 2
