"""The documents the docs cite exist: every relative link in README.md and docs/*.md resolves
(file and heading), every repository path they quote in backticks exists, and every
"CONTRACT §N" they cite is a section of docs/api-contract.md (issue 12)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
QUOTED_PATH = re.compile(r"`((?:docs|src|scripts|tests|bench)/[^`\s*{}<>]*)`")


def anchors(markdown: str) -> set[str]:
    """GitHub's heading ids: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"^```.*?^```", "", markdown, flags=re.DOTALL | re.MULTILINE)
    out = set()
    for heading in re.findall(r"^#{1,6} (.+)$", text, re.MULTILINE):
        slug = re.sub(r"[^\w\- ]", "", heading.strip().lower().replace("`", "")).replace(" ", "-")
        out.add(slug)
    return out


def links(doc: Path) -> list[str]:
    text = re.sub(r"^```.*?^```", "", doc.read_text(encoding="utf-8"), flags=re.DOTALL | re.MULTILINE)
    return [target for target in LINK.findall(text) if not re.match(r"[a-z][a-z0-9+.-]*:", target)]


@pytest.mark.parametrize("doc", DOCS, ids=lambda doc: doc.name)
def test_every_relative_link_resolves(doc: Path) -> None:
    broken = []
    for target in links(doc):
        path, _, anchor = target.partition("#")
        file = (doc.parent / path).resolve() if path else doc
        missing_heading = (
            file.exists() and bool(anchor) and file.suffix == ".md"
            and anchor not in anchors(file.read_text(encoding="utf-8"))
        )  # fmt: skip
        if not file.exists() or missing_heading:
            broken.append(target)
    assert not broken, f"{doc.relative_to(ROOT)} links to what does not exist: {broken}"


@pytest.mark.parametrize("doc", DOCS, ids=lambda doc: doc.name)
def test_every_quoted_repository_path_exists(doc: Path) -> None:
    quoted = {path.rstrip(".,:") for path in QUOTED_PATH.findall(doc.read_text(encoding="utf-8"))}
    missing = sorted(path for path in quoted if not (ROOT / path).exists())
    assert not missing, f"{doc.relative_to(ROOT)} quotes paths that do not exist: {missing}"


def test_the_readme_links_the_contract_and_every_cited_section_exists() -> None:
    contract = ROOT / "docs" / "api-contract.md"
    assert "](docs/api-contract.md)" in (ROOT / "README.md").read_text(encoding="utf-8")
    sections = set(re.findall(r"^## (\d+)\. ", contract.read_text(encoding="utf-8"), re.MULTILINE))
    cited = {
        (doc.name, number)
        for doc in DOCS
        for number in re.findall(r"CONTRACT §(\d+)", doc.read_text(encoding="utf-8"))
    }
    assert cited, "no document cites the contract"
    assert not [c for c in cited if c[1] not in sections], f"cited but not in docs/api-contract.md: {cited}"
