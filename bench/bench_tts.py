"""Time from the callee's answer to the first prompt's audio, with espeak-ng and a neural voice.

Each row places real calls through the call task (`dialer.call_task.place_call`) on the
simulator (recorded, so prompts are synthesised as on a real trunk) with the call path's own
`engine.PrompterFactory`; the figure is the call task's own measure, the one behind the
`aicall_answer_to_first_audio_seconds` metric: wall time from the answer to the first `play`.
Every call greets a new name (a personalised part no cache holds).

The neural voice is Vbee's protocol (`speech/vbee.py`) served on 127.0.0.1 by the stand-in the
tests use (tests/unit/speech/vendor_servers.py): each request's audio becomes ready
`--ready-after` seconds after it was made (default 0.8 s), and is found by polling, as with Vbee.

Rows: espeak-ng with the fixed parts synthesised at approval (the baseline: what every call
has today), the neural voice with nothing prepared, with the fixed parts synthesised at
approval, and with the contact's prompts also prefetched before the dial (the platform's path).
"Dial held" is how long the prefetch held the dial back: time the callee does not spend.

    .venv/bin/python bench/bench_tts.py [--quick] [--write-docs]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_speech import DOCS, machine_note, table  # noqa: E402  -- after the path above

from aicall.campaigns.settings import CampaignSettings  # noqa: E402
from aicall.config import Settings  # noqa: E402
from aicall.dialer.call_task import place_call  # noqa: E402
from aicall.dialer.jobs import CallJob  # noqa: E402
from aicall.engine import PrompterFactory  # noqa: E402
from aicall.interpreter.script import Action, ActionType, FieldSpec, Script  # noqa: E402
from aicall.scenarios import preview  # noqa: E402
from aicall.telephony.sim import SimBackend  # noqa: E402
from tests.unit.speech.vendor_servers import APP_ID, TOKEN, vendor_server  # noqa: E402

START, END = "<!-- bench_tts:start -->", "<!-- bench_tts:end -->"
NAMES = ["An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Khánh", "Lan", "Minh", "Nam", "Oanh", "Phúc", "Quân"]
FIELDS = (FieldSpec(name="Họ tên", key="ho_ten"),)
GREETING = "Xin chào {{ho_ten}}. Đây là cuộc gọi tự động từ công ty tài chính An Bình."


def name_of(n: int, *, offset: int) -> str:
    return f"{NAMES[(n + offset) % len(NAMES)]} {n + offset}"


def script(voice_code: str) -> Script:
    root = Action(id="root", type=ActionType.OUTBOUND_CALL, next_action_id="hello")
    hello = Action(id="hello", type=ActionType.PLAY_MESSAGE, content_text=GREETING, next_action_id="bye")
    bye = Action(id="bye", type=ActionType.END_CALL, content_text="Cảm ơn quý khách, tạm biệt.")
    return Script(
        scenario_id=f"bench-{voice_code}",
        root_action_id="root",
        actions={a.id: a for a in (root, hello, bye)},
        fields=FIELDS,
        voice_code=voice_code,
    )


def job(number: int, the_script: Script, name: str) -> CallJob:
    return CallJob(
        attempt_id=f"a{number}",
        attempt_number=1,
        contact_id=f"c{number}",
        campaign_id="k1",
        application_id="p1",
        account_id="acc1",
        phone="+84900000007",  # the simulator: answers, presses nothing
        tags={"ho_ten": name},
        hotline="+842873001234",
        trunk=None,
        settings=CampaignSettings(record=True),
        script=the_script,
        reserved=0,
        price_per_minute=0,
        billing_increment=1,
        charge_unanswered=False,
    )


class WithoutPrefetch:
    """The factory as a plain callable: the call task then synthesises at the answer."""

    def __init__(self, factory: PrompterFactory) -> None:
        self._factory = factory

    def __call__(self, the_script: Script, audio: bool) -> Any:
        return self._factory(the_script, audio)


class TimedPrefetch:
    def __init__(self, factory: PrompterFactory) -> None:
        self._factory = factory
        self.held: list[float] = []

    def __call__(self, the_script: Script, audio: bool) -> Any:
        return self._factory(the_script, audio)

    async def prefetch(self, the_script: Script, values: Mapping[str, str]) -> int:
        started = time.perf_counter()
        try:
            return await self._factory.prefetch(the_script, values)
        finally:
            self.held.append(time.perf_counter() - started)


async def row(
    label: str,
    settings: Settings,
    voice_code: str,
    calls: int,
    *,
    warm: bool,
    prefetch: bool,
    names: Callable[[int], str],
    tmp: Path,
) -> tuple[str, float, float | None]:
    the_script = script(voice_code)
    if warm:
        await preview.warm(settings, the_script)  # what `aicall scenario approve` does
    factory = PrompterFactory(settings)
    prompters: Any = TimedPrefetch(factory) if prefetch else WithoutPrefetch(factory)
    backend = SimBackend(time_scale=0, recording_dir=tmp)
    seconds = []
    for n in range(calls):
        result = await place_call(job(n, the_script, names(n)), backend=backend, prompter_for=prompters)
        seconds.append(result.extra["first_audio_seconds"])
    await factory.aclose()
    held = statistics.median(prompters.held) if prefetch else None
    return label, statistics.median(seconds), held


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer calls (a smoke test)")
    parser.add_argument(
        "--ready-after", type=float, default=0.8, help="seconds until the vendor's audio is ready"
    )
    parser.add_argument("--write-docs", action="store_true", help="put the table into docs/speech.md")
    args = parser.parse_args()
    if shutil.which("espeak-ng") is None:
        raise SystemExit("espeak-ng is not installed (Debian: apt-get install espeak-ng)")
    calls = 3 if args.quick else 9
    rows = []
    with tempfile.TemporaryDirectory(prefix="aicall-bench-tts-") as tmp, vendor_server() as server:
        server.ready_after = args.ready_after
        for index, (label, voice, warm, prefetch) in enumerate(
            [
                ("espeak-ng, fixed parts synthesised at approval (baseline)", "espeak:vi", True, False),
                ("Vbee, nothing prepared (uncached)", "hn_female_ngochuyen_full_48k-fhg", False, False),
                (
                    "Vbee, fixed parts synthesised at approval",
                    "hn_female_ngochuyen_full_48k-fhg",
                    True,
                    False,
                ),
                (
                    "Vbee, + the contact's prompts prefetched before the dial",
                    "hn_female_ngochuyen_full_48k-fhg",
                    True,
                    True,
                ),
                ("espeak-ng, + prefetched before the dial", "espeak:vi", True, True),
            ]
        ):
            # A fresh cache per row: one row's audio never serves another's.
            data = Path(tmp) / f"row{index}"
            settings = Settings(
                data_dir=data,
                tts_engine="espeak",
                vbee_tts_url=server.vbee_url,
                vbee_app_id=APP_ID,
                vbee_token=TOKEN,
            )
            offset = index * calls  # a new name on every call of the run
            rows.append(
                await row(
                    label,
                    settings,
                    voice,
                    calls,
                    warm=warm,
                    prefetch=prefetch,
                    names=functools.partial(name_of, offset=offset),
                    tmp=data,
                )
            )
    baseline = rows[0][1]
    cells = [
        [
            label,
            f"{median * 1000:,.1f}",
            f"{median / baseline:.2f}x",
            "-" if held is None else f"{held * 1000:,.0f}",
        ]
        for label, median, held in rows
    ]
    report = "\n\n".join(
        [
            (
                f"Run: {machine_note()}; {calls} calls per row, "
                f"vendor audio ready {args.ready_after:g} s after each request."
            ),
            "Time from answer to the first prompt's audio (median; the call task's own measure):\n\n"
            + table(
                ["path", "ms answer to first audio", "vs espeak-ng baseline", "ms dial held (prefetch)"],
                cells,
            ),
        ]
    )
    print(report)
    if args.write_docs:
        import re

        text = DOCS.read_text()
        block = f"{START}\n{report}\n{END}"
        pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.DOTALL)
        DOCS.write_text(
            pattern.sub(lambda _: block, text)
            if pattern.search(text)
            else text.rstrip() + "\n\n" + block + "\n"
        )
        print(f"\nwritten into {DOCS}")


if __name__ == "__main__":
    asyncio.run(main())
