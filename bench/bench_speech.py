"""How fast the speech layer reads values, synthesises prompts and serves them from the cache.

Three tables, each figure beside the baseline it is compared to in the same run:

1. readings per second per reading type, beside `str.format` of the same raw values (what a
   template engine that does not read numbers aloud would cost);
2. espeak-ng: seconds of compute per second of audio, cold (a process per synthesis, sox and the
   pure-Python resampler) beside a cache hit (memory LRU, and disk through a fresh cache);
3. distinct personalised prompts per second (every contact a new name and amount): fixed parts
   cached and only the tags synthesised, beside synthesising the whole prompt each time, and
   the simulator's path (`engine=None`).

Timings are medians of several runs; nothing here asserts on them.

    .venv/bin/python bench/bench_speech.py [--quick] [--write-docs]

`--write-docs` also replaces the "Benchmarks" tables in docs/speech.md with this run's.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import platform
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from aicall.interpreter.script import FieldSpec
from aicall.media import Audio
from aicall.speech.cache import AudioCache
from aicall.speech.prompter import Prompter
from aicall.speech.reading import ReadingType, read
from aicall.speech.timing import estimate_duration
from aicall.speech.tts import EspeakEngine

DOCS = Path(__file__).resolve().parent.parent / "docs" / "speech.md"
START, END = "<!-- bench_speech:start -->", "<!-- bench_speech:end -->"

FIELDS = (
    FieldSpec(name="Họ tên", key="ho_ten", reading_type="TEXT"),
    FieldSpec(name="Số tiền", key="so_tien", reading_type="CURRENCY"),
    FieldSpec(name="Hạn", key="han", reading_type="DATE"),
)
TEMPLATE = (
    "Xin chào {{ho_ten}}. Đây là cuộc gọi tự động từ công ty tài chính An Bình. "
    "Quý khách còn nợ {{so_tien}}, hạn thanh toán là {{han}}. "
    "Bấm phím một để xác nhận, bấm phím hai để gặp nhân viên."
)
MENU = "Bấm phím một để xác nhận, bấm phím hai để gặp nhân viên, bấm phím chín để nghe lại."
SENTENCES = [
    "Xin chào quý khách, đây là cuộc gọi tự động từ công ty tài chính An Bình.",
    "Quý khách còn nợ một triệu năm trăm nghìn đồng, vui lòng thanh toán trước ngày mười lăm tháng tư.",
    "Bấm phím một để xác nhận, bấm phím hai để gặp nhân viên, bấm phím chín để nghe lại.",
]


def sample_values(count: int) -> dict[ReadingType, list[str]]:
    """Deterministic raw values of every type, as contacts send them."""
    return {
        ReadingType.TEXT: [f"  Nguyễn Văn {n}  " for n in range(count)],
        ReadingType.CURRENCY: [f"{(n * 7919) % 10**9:,}".replace(",", ".") + "đ" for n in range(count)],
        ReadingType.NUMBER: [str((n * 104729) % 10**12) for n in range(count)],
        ReadingType.DATE: [f"{1 + n % 28:02d}/{1 + n % 12:02d}/{1990 + n % 60}" for n in range(count)],
        ReadingType.TIME: [f"{n % 24:02d}:{(n * 7) % 60:02d}" for n in range(count)],
        ReadingType.SEQ2SEQ: [f"{10 + n % 90}A-{n % 100000:05d}" for n in range(count)],
    }


def best_rate(run: Callable[[], int], runs: int) -> float:
    """Items per second: the median over `runs` of (items done / seconds)."""
    rates = []
    for _ in range(runs):
        start = time.perf_counter()
        done = run()
        rates.append(done / (time.perf_counter() - start))
    return statistics.median(rates)


def bench_readings(count: int, runs: int) -> list[list[str]]:
    rows = []
    for reading_type, values in sample_values(count).items():

        def reading(values: list[str] = values, reading_type: ReadingType = reading_type) -> int:
            for value in values:
                read(reading_type, value)
            return len(values)

        def formatting(values: list[str] = values) -> int:
            for value in values:
                "{}".format(value)  # noqa: UP032 - the baseline is exactly str.format
            return len(values)

        ours, baseline = best_rate(reading, runs), best_rate(formatting, runs)
        rows.append([reading_type.value, f"{ours:,.0f}", f"{baseline:,.0f}", f"{baseline / ours:,.0f}x"])
    return rows


async def median_seconds(make: Callable[[int], Awaitable[object]], runs: int) -> float:
    times = []
    for n in range(runs):
        start = time.perf_counter()
        await make(n)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


async def bench_espeak(runs: int, directory: Path) -> tuple[float, list[list[str]]]:
    """Mean audio seconds of the sentences, and the table rows."""
    rows: list[list[str]] = []
    engines = {"python": EspeakEngine(resampler="python")}
    if shutil.which("sox"):
        engines = {"sox": EspeakEngine(resampler="sox"), **engines}
    audio_seconds = 0.0
    cache = AudioCache(directory)
    keys = []
    for text in SENTENCES:
        pcm = await engines[next(iter(engines))].synthesize(text, voice="vi")
        audio_seconds += Audio.from_pcm(text, pcm).duration
        key = AudioCache.key(engine="espeak", voice="vi", speed=1.0, text=text)
        cache.put(key, pcm)
        keys.append(key)
    per_audio = audio_seconds / len(SENTENCES)

    for name, engine in engines.items():

        async def synthesize(n: int, engine: EspeakEngine = engine) -> bytes:
            return await engine.synthesize(SENTENCES[n % len(SENTENCES)], voice="vi")

        seconds = await median_seconds(synthesize, runs * len(SENTENCES))
        label = f"cold: espeak-ng + {name} resampler"
        rows.append([label, f"{seconds * 1e6:,.0f}", f"{seconds / per_audio:.4f}"])

    async def memory_hit(n: int) -> bytes | None:
        return cache.get(keys[n % len(keys)])

    async def disk_hit(n: int) -> bytes | None:
        return AudioCache(directory).get(keys[n % len(keys)])  # a fresh cache: nothing in memory

    for label, hit in (("cached: memory LRU hit", memory_hit), ("cached: disk hit (WAV file)", disk_hit)):
        seconds = await median_seconds(hit, runs * 20)
        rows.append([label, f"{seconds * 1e6:,.1f}", f"{seconds / per_audio:.7f}"])
    return per_audio, rows


async def bench_prompts(count: int, runs: int, directory: Path) -> list[list[str]]:
    def values(n: int) -> dict[str, str]:
        # A new name and amount every time; the due date repeats, as in a real campaign.
        return {
            "ho_ten": f"Khách hàng số {n}",
            "so_tien": str(100_000 + n * 1000),
            "han": f"{1 + n % 28}/5/2025",
        }

    engine = EspeakEngine()
    cached = Prompter(FIELDS, engine=engine, voice="vi", cache=AudioCache(directory))
    await cached.warm(TEMPLATE)
    await cached.warm(MENU)
    simulated = Prompter(FIELDS)
    offset = 0

    async def measure(render: Callable[[int], Awaitable[object]], n_items: int, concurrent: bool) -> float:
        nonlocal offset
        rates = []
        for _ in range(runs):
            start = time.perf_counter()
            numbers = range(offset, offset + n_items)
            offset += n_items  # every render a contact never seen before
            if concurrent:
                await asyncio.gather(*(render(n) for n in numbers))
            else:
                for n in numbers:
                    await render(n)
            rates.append(n_items / (time.perf_counter() - start))
        return statistics.median(rates)

    async def whole(n: int) -> bytes:
        return await engine.synthesize(simulated.text(TEMPLATE, values(n)), voice="vi")

    async def with_tags(n: int) -> Audio:
        return await cached.render(TEMPLATE, values(n))

    async def menu(n: int) -> Audio:
        return await cached.render(MENU, values(n))

    async def simulator(n: int) -> Audio:
        return await simulated.render(TEMPLATE, values(n))

    rows = []
    baseline: dict[bool, float] = {}
    for label, render, n_items, concurrent in (
        ("whole prompt synthesised per call (baseline)", whole, count, False),
        ("whole prompt synthesised per call (baseline)", whole, count, True),
        ("fixed parts cached, 3 tags synthesised", with_tags, count, False),
        ("fixed parts cached, 3 tags synthesised", with_tags, count, True),
        ("prompt without tags (menu): all cached", menu, count * 50, False),
        ("engine=None (simulator): text + estimate", simulator, count * 50, False),
    ):
        rate = await measure(render, n_items, concurrent)
        baseline.setdefault(concurrent, rate)
        mode = "concurrent" if concurrent else "one at a time"
        rows.append(
            [label, mode, f"{rate:,.1f}", f"{1000 / rate:,.2f}", f"{rate / baseline[concurrent]:,.2f}x"]
        )
    return rows


class ModelledNeuralEngine:
    """A stand-in for a neural HTTP voice: no CPU, but time that grows with the text.

    The cost model (80 ms per request + 25 ms per syllable) is typical of a GPU server answering
    `/v1/audio/speech`; it is a model, labelled as such in the table, not a measurement of one.
    """

    name = "modelled-neural"

    async def synthesize(self, text: str, *, voice: str, speed: float = 1.0) -> bytes:
        await asyncio.sleep(0.080 + 0.025 * len(text.split()))
        return bytes(round(estimate_duration(text, speed) * 8000) * 2)


async def bench_neural_model(count: int, runs: int) -> list[list[str]]:
    engine = ModelledNeuralEngine()
    cached = Prompter(FIELDS, engine=engine, voice="alloy")
    await cached.warm(TEMPLATE)
    text_only = Prompter(FIELDS)

    def values(n: int) -> dict[str, str]:
        return {
            "ho_ten": f"Khách hàng số {n}",
            "so_tien": str(100_000 + n * 1000),
            "han": f"{1 + n % 28}/5/2025",
        }

    async def latency(render: Callable[[int], Awaitable[object]]) -> float:
        times = []
        for n in range(runs):
            start = time.perf_counter()
            await render(count * 1000 + n)
            times.append(time.perf_counter() - start)
        return statistics.median(times)

    async def whole(n: int) -> bytes:
        return await engine.synthesize(text_only.text(TEMPLATE, values(n)), voice="alloy")

    async def with_tags(n: int) -> Audio:
        return await cached.render(TEMPLATE, values(n))

    whole_s, tags_s = await latency(whole), await latency(with_tags)
    return [
        ["whole prompt synthesised per call (baseline)", f"{whole_s * 1000:,.0f}", "1.00x"],
        [
            "fixed parts cached, tags synthesised together",
            f"{tags_s * 1000:,.0f}",
            f"{whole_s / tags_s:,.2f}x",
        ],
    ]


def table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    cells = [list(headers), *[list(row) for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: Sequence[str]) -> str:
        return "| " + " | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) + " |"

    return "\n".join(
        [line(cells[0]), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, cells[1:])]
    )


def machine_note() -> str:
    cpu = platform.processor() or "unknown CPU"
    with contextlib.suppress(OSError):
        for row in Path("/proc/cpuinfo").read_text().splitlines():
            if row.startswith("model name"):
                cpu = row.split(":", 1)[1].strip()
                break
    espeak = subprocess.run(["espeak-ng", "--version"], capture_output=True, text=True).stdout.split()
    version = espeak[3] if len(espeak) > 3 else "?"
    load = os.getloadavg()[0]  # other work on the machine skews everything: say how much there was
    return (
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores ({cpu}), load average {load:.1f}, "
        f"Python {platform.python_version()}, espeak-ng {version}, "
        f"sox {'installed' if shutil.which('sox') else 'absent'}"
    )


def write_docs(report: str) -> None:
    text = DOCS.read_text()
    pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.DOTALL)
    if not pattern.search(text):
        raise SystemExit(f"{DOCS} has no {START} ... {END} block to replace")
    DOCS.write_text(pattern.sub(lambda _: f"{START}\n{report}\n{END}", text))


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer items and runs (a smoke test)")
    parser.add_argument("--write-docs", action="store_true", help="put the tables into docs/speech.md")
    args = parser.parse_args()
    if shutil.which("espeak-ng") is None:
        raise SystemExit("espeak-ng is not installed (Debian: apt-get install espeak-ng)")
    runs = 3 if args.quick else 7
    count = 200 if args.quick else 2000
    prompts = 10 if args.quick else 40

    with tempfile.TemporaryDirectory(prefix="aicall-bench-speech-") as tmp:
        readings = bench_readings(count, runs)
        per_audio, espeak = await bench_espeak(runs, Path(tmp) / "clips")
        served = await bench_prompts(prompts, runs, Path(tmp) / "prompts")
        neural = await bench_neural_model(prompts, runs)

    report = "\n\n".join(
        [
            f"Run: {machine_note()}.",
            "Readings per second (one process, one core):\n\n"
            + table(["type", "read()/s", "str.format/s (baseline)", "read() is slower by"], readings),
            f"espeak-ng, one sentence ({per_audio:.1f} s of audio on average; medians):\n\n"
            + table(["path", "µs per sentence", "s per s of audio"], espeak),
            "Distinct personalised prompts per second (espeak-ng; a new name and amount each time, "
            "the due date from a set of 28; the prompt is 4 sentences, about 14 s of audio):\n\n"
            + table(["path", "mode", "prompts/s", "ms per prompt", "vs baseline"], served),
            "Time from answer to audio ready with a slow neural voice (a modelled HTTP engine, "
            "80 ms + 25 ms per syllable; median):\n\n"
            + table(["path", "ms until the prompt can play", "faster by"], neural),
        ]
    )
    print(report)
    if args.write_docs:
        write_docs(report)
        print(f"\nwritten into {DOCS}")


if __name__ == "__main__":
    asyncio.run(main())
