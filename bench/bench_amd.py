"""Answering-machine detection on the labelled set: how often it is right, how fast, at what CPU.

Two tables, each figure beside the baseline it is compared to in the same run:

1. accuracy on `bench/amd_corpus.py`'s clips (people and machines answering, made with espeak-ng
   and sox): false-machine rate (a person hung up on: the worse error), false-human rate (a
   machine played to), UNKNOWN verdicts, and the time to decision (median, p95) per class and per
   family of clips; the baseline is Asterisk `app_amd`'s default thresholds run by the same
   detector;
2. CPU per second of call audio for the detector alone, beside what a call pays anyway to look
   at that audio: decoding the G.711 A-law payload (aiortp's codec, as the SIP backend does),
   unpacking the samples and running WebRTC's VAD on every frame (`speech.listening` does that
   on every answered call).

Clips are fed in 20 ms frames, as RTP delivers them. Timings are medians of several runs; nothing
here asserts on them.

    .venv/bin/python bench/bench_amd.py [--corpus DIR] [--seed N] [--quick] [--runs N] [--show-errors]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import struct
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script: `bench` importable

import webrtcvad  # type: ignore[import-untyped]  # ships no type information
from aiortp.codecs import PcmaCodec

from aicall.speech.amd import AmdResult, AmdSettings, AmdVerdict, AnsweringMachineDetector
from bench.amd_corpus import HUMAN, MACHINE, SEED, Clip, build_corpus, read_pcm

FRAME_BYTES = 320

# Asterisk app_amd's defaults (configs/samples/amd.conf.sample), on the same detector: the baseline.
ASTERISK_DEFAULTS = AmdSettings(
    initial_silence=2.5,
    greeting=1.5,
    after_greeting_silence=0.8,
    total_analysis_time=5.0,
    min_word_length=0.1,
    between_words_silence=0.05,
    max_words=2,
    max_word_length=5.0,
    noise_gate_db=0.0,
)


@dataclass(frozen=True, slots=True)
class Outcome:
    clip: Clip
    result: AmdResult
    ready_at: float | None  # seconds from the answer to `ready_for_message` (machines only)


def classify(pcm: bytes, settings: AmdSettings | None = None) -> tuple[AmdResult, float | None]:
    """Run the detector over a clip frame by frame: (result, seconds until ready for a message)."""
    detector = AnsweringMachineDetector(settings)
    ready_at: float | None = None
    for index in range(0, len(pcm), FRAME_BYTES):
        detector.feed(pcm[index : index + FRAME_BYTES])
        if ready_at is None and detector.ready_for_message:
            ready_at = (index + FRAME_BYTES) / 16000
    return detector.result or detector.finish(), ready_at


def evaluate(clips: Sequence[Clip], settings: AmdSettings | None = None) -> list[Outcome]:
    outcomes = []
    for clip in clips:
        result, ready_at = classify(read_pcm(clip.path), settings)
        outcomes.append(Outcome(clip, result, ready_at))
    return outcomes


@dataclass(frozen=True, slots=True)
class Scores:
    clips: int
    accuracy: float  # verdict equals the label
    false_machine: float  # share of people judged MACHINE
    false_human: float  # share of machines judged HUMAN or UNKNOWN (both get our prompt)
    unknown: float  # share of all clips judged UNKNOWN


def score(outcomes: Sequence[Outcome]) -> Scores:
    people = [o for o in outcomes if o.clip.label == HUMAN]
    machines = [o for o in outcomes if o.clip.label == MACHINE]
    right = sum(1 for o in outcomes if o.result.verdict == o.clip.label)
    return Scores(
        clips=len(outcomes),
        accuracy=right / len(outcomes),
        false_machine=sum(1 for o in people if o.result.verdict is AmdVerdict.MACHINE) / max(1, len(people)),
        false_human=sum(1 for o in machines if o.result.verdict is not AmdVerdict.MACHINE)
        / max(1, len(machines)),
        unknown=sum(1 for o in outcomes if o.result.verdict is AmdVerdict.UNKNOWN) / len(outcomes),
    )


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def _row(name: str, outcomes: Sequence[Outcome]) -> str:
    n = len(outcomes)
    right = sum(1 for o in outcomes if o.result.verdict == o.clip.label)
    verdicts = {v: sum(1 for o in outcomes if o.result.verdict is v) for v in AmdVerdict}
    times = [o.result.decided_after for o in outcomes]
    return (
        f"| {name} | {n} | {right}/{n} ({100 * right / n:.0f}%) | {verdicts[AmdVerdict.HUMAN]} | "
        f"{verdicts[AmdVerdict.MACHINE]} | {verdicts[AmdVerdict.UNKNOWN]} | "
        f"{statistics.median(times):.2f} | {percentile(times, 0.95):.2f} |"
    )


def accuracy_table(outcomes: Sequence[Outcome], others: dict[str, Sequence[Outcome]]) -> str:
    """Per-family rows for `outcomes`, then the overall scores beside those of `others`."""
    lines = [
        "| clips | n | right | → human | → machine | → unknown | decided after, median (s) | p95 (s) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for label in (HUMAN, MACHINE):
        lines.append(_row(f"**{label}** (all)", [o for o in outcomes if o.clip.label == label]))
        for group in dict.fromkeys(o.clip.group for o in outcomes if o.clip.label == label):
            lines.append(_row(f"{label}: {group}", [o for o in outcomes if o.clip.group == group]))
    lines += [
        "",
        "| settings | accuracy | false machine (people) | false human (machines) | unknown |",
        "|---|---|---|---|---|",
    ]
    for name, run in {"ours (`AmdSettings()`)": outcomes, **others}.items():
        scores = score(run)
        lines.append(
            f"| {name} | {scores.accuracy:.1%} | {scores.false_machine:.1%} | {scores.false_human:.1%} "
            f"| {scores.unknown:.1%} |"
        )
    ready = [o.ready_at for o in outcomes if o.clip.group == "voicemail_beep" and o.ready_at is not None]
    if ready:
        lines.append("")
        lines.append(
            f"Voicemails with a beep: ready for a message after {statistics.median(ready):.2f} s median "
            f"({len(ready)} of {sum(1 for o in outcomes if o.clip.group == 'voicemail_beep')})."
        )
    return "\n".join(lines)


def _cpu(work: object, runs: int) -> float:
    samples = []
    for _ in range(runs):
        started = time.process_time()
        work()  # type: ignore[operator]
        samples.append(time.process_time() - started)
    return statistics.median(samples)


def cpu_table(clips: Sequence[Clip], runs: int) -> str:
    pcms = [read_pcm(clip.path) for clip in clips]
    seconds = sum(len(pcm) for pcm in pcms) / 16000

    codec = PcmaCodec()
    payloads = [
        [
            codec.encode(pcm[index : index + FRAME_BYTES])
            for index in range(0, len(pcm) - FRAME_BYTES + 1, FRAME_BYTES)
        ]
        for pcm in pcms
    ]

    def decode_only() -> None:
        for call in payloads:
            for payload in call:
                codec.decode(payload)

    def vad_only() -> None:
        for call in payloads:
            vad = webrtcvad.Vad(2)
            for payload in call:
                frame = codec.decode(payload)
                struct.unpack("<160h", frame)
                vad.is_speech(frame, 8000)

    def detector_whole_clip() -> None:
        # Fed to the end of each clip, deciding or not: the most a call can pay.
        for pcm in pcms:
            detector = AnsweringMachineDetector(replace(AmdSettings(), total_analysis_time=3600.0))
            for index in range(0, len(pcm), FRAME_BYTES):
                detector._frame(pcm[index : index + FRAME_BYTES]) if len(pcm) - index >= FRAME_BYTES else None

    def detector_as_used() -> None:
        for pcm in pcms:
            detector = AnsweringMachineDetector()
            for index in range(0, len(pcm), FRAME_BYTES):
                detector.feed(pcm[index : index + FRAME_BYTES])

    decoding = _cpu(decode_only, runs)
    baseline = _cpu(vad_only, runs)
    every_frame = _cpu(detector_whole_clip, runs)
    as_used = _cpu(detector_as_used, runs)
    per = 1e3 / seconds  # CPU ms per second of call audio
    rows = [
        ("G.711 A-law decoding alone (what every received frame costs)", decoding),
        ("baseline: decode + unpack + WebRTC VAD on every 20 ms frame", baseline),
        ("AMD on every frame (decode, VAD, noise floor, tone detector, rules)", every_frame + decoding),
        ("AMD as used (decode; stops once decided and, for machines, ready)", as_used + decoding),
    ]
    lines = [
        f"{seconds:.0f} s of call audio ({len(clips)} clips), median of {runs} runs, CPU time:",
        "",
        "| work | CPU ms per call-second | x baseline |",
        "|---|---|---|",
    ]
    lines += [f"| {name} | {cpu * per:.3f} | {cpu / baseline:.2f} |" for name, cpu in rows]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--corpus", type=Path, default=Path(tempfile.gettempdir()) / "aicall-amd-corpus")
    parser.add_argument(
        "--seed",
        type=int,
        default=SEED,
        help="another seed makes a held-out set (the defaults were tuned on the default)",
    )
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="one CPU run")
    parser.add_argument("--show-errors", action="store_true", help="list every clip judged wrong")
    args = parser.parse_args(argv)
    started = time.monotonic()
    clips = build_corpus(args.corpus, seed=args.seed)
    built = time.monotonic() - started
    outcomes = evaluate(clips)
    others = {
        "ours without the noise gate (WebRTC VAD alone)": evaluate(
            clips, replace(AmdSettings(), noise_gate_db=0)
        ),
        "baseline: Asterisk app_amd defaults": evaluate(clips, ASTERISK_DEFAULTS),
    }
    load = os.getloadavg()
    print(f"# AMD bench, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, load average {load[0]:.2f} {load[1]:.2f}; corpus: {len(clips)} clips "
        f"in {args.corpus}, seed {args.seed} ({built:.1f} s to build or check)\n"
    )
    print(accuracy_table(outcomes, others))
    print()
    print(cpu_table(clips, 1 if args.quick else args.runs))
    if args.show_errors:
        print("\nWrong verdicts:")
        for outcome in outcomes:
            if outcome.result.verdict != outcome.clip.label:
                r = outcome.result
                print(
                    f"  {outcome.clip.label:7} -> {r.verdict:7} {r.reason:28} {r.decided_after:5.2f}s  "
                    f"{outcome.clip.description}"
                )


if __name__ == "__main__":
    main()
