"""Intent matching on the table of Vietnamese answers: accuracy per intent, beside a naive matcher.

The baseline is what a scenario author gets without `aicall.speech.intents`: the answer, lower-cased
and stripped of punctuation, looked up among the same built-in phrases. Prints a table;
`--write-docs` puts it into docs/speech.md.

    .venv/bin/python bench/bench_intents.py [--write-docs]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from aicall.speech.intents import BUILTIN_INTENTS, match_intent

ROOT = Path(__file__).resolve().parents[1]
TABLE = ROOT / "tests" / "data" / "intent_utterances.tsv"
DOCS = ROOT / "docs" / "speech.md"
START, END = "<!-- bench_intents:start -->", "<!-- bench_intents:end -->"


def rows() -> list[tuple[str, str]]:
    found = []
    for line in TABLE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            text, intent = line.split("\t")
            found.append((text, intent))
    return found


_NAIVE = {phrase.lower(): intent for intent, phrases in BUILTIN_INTENTS.items() for phrase in phrases}


def naive(text: str) -> str:
    return _NAIVE.get(" ".join(re.sub(r"[^\w\s]", " ", text.lower()).split()), "none")


def ours(text: str) -> str:
    found = match_intent(text)
    return found.intent if found else "none"


def accuracy(table: list[tuple[str, str]], classify: object) -> dict[str, tuple[int, int]]:
    right: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for text, expected in table:
        total[expected] += 1
        right[expected] += classify(text) == expected  # type: ignore[operator]
    return {intent: (right[intent], total[intent]) for intent in total}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--write-docs", action="store_true", help="put the table into docs/speech.md")
    args = parser.parse_args()
    table = rows()
    mine, base = accuracy(table, ours), accuracy(table, naive)
    lines = [
        "| intent | answers | matched (aicall) | accuracy | exact phrase lookup (baseline) |",
        "|---|---|---|---|---|",
    ]
    order = [*BUILTIN_INTENTS, "none"]
    for intent in order:
        right, total = mine[intent]
        base_right, _ = base[intent]
        lines.append(f"| {intent} | {total} | {right} | {right / total:.1%} | {base_right / total:.1%} |")
    all_right = sum(r for r, _ in mine.values())
    all_base = sum(r for r, _ in base.values())
    size = len(table)
    lines.append(f"| **all** | {size} | {all_right} | {all_right / size:.1%} | {all_base / size:.1%} |")
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        for text, _expected in table:
            match_intent(text)
        timings.append((time.perf_counter() - started) / len(table))
    misses = [f"`{text}` ({expected} -> {ours(text)})" for text, expected in table if ours(text) != expected]
    report = "\n\n".join(
        [
            (
                f"Run: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, load average "
                f"{os.getloadavg()[0]:.1f}, Python {platform.python_version()}; table "
                f"`tests/data/intent_utterances.tsv` ({size} answers; `none`: nothing should match)."
            ),
            "\n".join(lines),
            f"Median time per answer: {statistics.median(timings) * 1e6:.0f} µs.",
            "Misses: " + ("; ".join(misses) if misses else "none") + ".",
        ]
    )
    print(report)
    if args.write_docs:
        text = DOCS.read_text()
        pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.DOTALL)
        if pattern.search(text):
            text = pattern.sub(lambda _: f"{START}\n{report}\n{END}", text)
        else:
            raise SystemExit(f"{DOCS} has no {START} ... {END} block to replace")
        DOCS.write_text(text)
        print(f"\nwritten into {DOCS}")


if __name__ == "__main__":
    main()
