"""Time from the end of the callee's speech to the next action, with each recogniser stand-in.

What a listening menu waits for once the callee stops talking: the detector's closing silence
(`ListenSettings.end_silence_ms`, a setting, not measured), the recogniser (measured, against
local servers speaking the OpenAI-compatible and FPT.AI protocols, answering after a modelled
delay of 120 ms + 0.15 s per second of audio, as a hosted Whisper-class model roughly does), and
the intent match (measured). The baseline is a keypad menu: the key is acted on at once.
Also the detector's own cost per second of audio. Prints a table; `--write-docs` puts it into
docs/speech.md.

    .venv/bin/python bench/bench_asr.py [--quick] [--write-docs]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import re
import shutil
import statistics
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from aicall.media import Utterance
from aicall.speech.asr import EchoAsrEngine, recognise
from aicall.speech.asr_http import FptAsrEngine, OpenAITranscriptionEngine
from aicall.speech.asr_types import AsrEngine
from aicall.speech.intents import IntentMatcher
from aicall.speech.listening import FRAME_BYTES, ListenSettings, UtteranceDetector, find_utterance
from aicall.speech.tts import EspeakEngine

DOCS = Path(__file__).resolve().parents[1] / "docs" / "speech.md"
START, END = "<!-- bench_asr:start -->", "<!-- bench_asr:end -->"
WORDS = "dạ vâng, đúng rồi"


@contextmanager
def stand_in(kind: str) -> Iterator[str]:
    """A local server answering like `kind` ("openai" or "fpt") after the modelled delay."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            seconds = max(0.0, (len(body) - 44) / 16000)
            time.sleep(0.12 + 0.15 * seconds)
            answer = (
                {"text": WORDS} if kind == "openai" else {"status": 0, "hypotheses": [{"utterance": WORDS}]}
            )
            data = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


async def time_engine(engine: AsrEngine, utterance: Utterance, runs: int) -> tuple[float, float]:
    matcher = IntentMatcher({"yes": [], "no": [], "call_back_later": []})
    recognition, matching = [], []
    for _ in range(runs):
        result = await recognise(engine, utterance, timeout=10)
        assert result.transcript is not None, result.error
        started = time.perf_counter()
        assert matcher.match(result.transcript.text) is not None
        matching.append(time.perf_counter() - started)
        recognition.append(result.seconds)
    return statistics.median(recognition), statistics.median(matching)


def detector_cost(pcm: bytes, runs: int) -> float:
    """Seconds of CPU per second of audio for the voice-activity detector."""
    costs = []
    for _ in range(runs):
        detector = UtteranceDetector(ListenSettings(max_speech=3600))
        started = time.process_time()
        for index in range(0, len(pcm) - FRAME_BYTES + 1, FRAME_BYTES):
            detector.feed(pcm[index : index + FRAME_BYTES])
        costs.append((time.process_time() - started) / (len(pcm) / 16000))
    return statistics.median(costs)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    runs = 5 if args.quick else 21
    if shutil.which("espeak-ng") is None:
        raise SystemExit("espeak-ng is not installed (Debian: apt-get install espeak-ng)")
    pcm = await EspeakEngine().synthesize(WORDS, voice="vi")
    found = find_utterance(b"\x00" * 4800 + pcm + b"\x00" * 16000, said=WORDS)
    assert found is not None
    utterance = found[2]
    closing = ListenSettings().end_silence_ms / 1000
    rows = [["keypad menu (baseline)", "0", "—", "—", "0"]]
    engines: list[tuple[str, AsrEngine, str | None]] = [("echo (simulator)", EchoAsrEngine(), None)]
    with stand_in("openai") as openai_url, stand_in("fpt") as fpt_url:
        engines.append(("openai stand-in", OpenAITranscriptionEngine(openai_url, timeout=10), "openai"))
        engines.append(("fpt stand-in", FptAsrEngine("key", url=fpt_url, timeout=10), "fpt"))
        for name, engine, _kind in engines:
            recognition, matching = await time_engine(engine, utterance, runs)
            total = closing + recognition + matching
            rows.append(
                [
                    name,
                    f"{closing * 1000:.0f}",
                    f"{recognition * 1000:.1f}",
                    f"{matching * 1e6:.0f}",
                    f"{total * 1000:.0f}",
                ]
            )
            close = getattr(engine, "aclose", None)
            if close is not None:
                await close()
    head = [
        "path",
        "closing silence (ms)",
        "recognition (ms, median)",
        "intent match (µs)",
        "end of speech to next action (ms)",
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    cost = detector_cost(pcm * 20, max(3, runs // 4))
    run_line = (
        f"Run: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, load average "
        f"{os.getloadavg()[0]:.1f}, Python {platform.python_version()}; the utterance is espeak-ng's "
        f'"{WORDS}" ({utterance.duration:.2f} s as the detector cut it); {runs} runs each.'
    )
    vad_line = (
        f"Voice-activity detection: {cost * 1000:.2f} ms of CPU per second of audio "
        f"({1 / cost:,.0f} calls listening at once per core, detection alone)."
    )
    report = "\n\n".join([run_line, "\n".join(lines), vad_line])
    print(report)
    if args.write_docs:
        text = DOCS.read_text()
        pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.DOTALL)
        if not pattern.search(text):
            raise SystemExit(f"{DOCS} has no {START} ... {END} block to replace")
        DOCS.write_text(pattern.sub(lambda _: f"{START}\n{report}\n{END}", text))


if __name__ == "__main__":
    asyncio.run(main())
