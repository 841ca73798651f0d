"""Concurrent SIP calls held against SIPp, beside two baselines measured in the same run.

For each count N (50, 100, 200, 400, 800 by default):

* ours    - one `SipBackend` process dials N calls to a SIPp UAS that echoes RTP; every call
            plays a prompt in a loop (the one-clock media path, pre-encoded G.711);
* aiortp  - the library's own media path for the same N streams against the same echo: one
            `aiortp.RTPSession(paced=True)` per stream, each with its own media clock and
            per-frame encoding (the "before" of our media path; no SIP, media only);
* sipp    - SIPp as the caller (rtp_stream, 20 ms PCMU) against the same SIPp UAS: the C
            baseline.

Measured over a steady window once every call is up: CPU% and RSS of the caller process
(from /proc), the far end's CPU%, failures (calls not answered or not ended by us, SIPp's
failed calls), and the RTP send interval per stream from a tcpdump capture of a sample of
the streams (same method for all three), plus our own in-process send timing.

With `--amd`, `ours` runs three times per count, each playing a voice-like prompt (so what the
echo brings back is speech for the detector's VAD): `ours` as above, `ours+audio` with every call
reading `CallSession.callee_audio` (the audio path to the detector, nothing done with it), and
`ours+amd` with answering-machine detection (`speech.amd`, as the dialer runs it) on every call
for the whole window (a fresh detector after each verdict: the worst case, every call in its
first seconds at once). The CPU differences are the audio path's and the detector's costs.

Run:  .venv/bin/python bench/bench_sip.py [--counts 50,100,200,400] [--window 6] [--amd]
Needs sipp, sox-free (the tone is generated here) and, for the capture, tcpdump (root).
Every run is bounded: each phase has a timeout and all child processes are killed at exit.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import math
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCENARIOS = HERE / "sipp"
CLK_TCK = os.sysconf("SC_CLK_TCK")


# -- measurements ---------------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1]) & ~1


def tone_pcm(seconds: float, frequency: float = 440.0) -> bytes:
    samples = int(8000 * seconds)
    return struct.pack(
        f"<{samples}h", *(int(6000 * math.sin(2 * math.pi * frequency * n / 8000)) for n in range(samples))
    )


def voice_pcm(seconds: float, pitch: float = 140.0) -> bytes:
    """Voice-like 8 kHz PCM (harmonics of a gliding pitch, syllables at 4 Hz) that WebRTC's VAD
    takes for speech: echoed back, it keeps answering-machine detection busy on every frame."""
    n = int(seconds * 8000)
    samples, phase = [], 0.0
    for i in range(n):
        t = i / 8000
        phase += 2 * math.pi * pitch * (1 + 0.05 * math.sin(2 * math.pi * 3 * t)) / 8000
        wave = sum(math.sin(k * phase) / k for k in range(1, 20))
        samples.append(int(wave * (0.55 + 0.45 * math.sin(2 * math.pi * 4 * t)) * 5000))
    return struct.pack(f"<{n}h", *samples)


def ulaw_file(path: Path, seconds: float) -> None:
    from aiortp.codecs import get_codec

    path.write_bytes(get_codec(0).encode(tone_pcm(seconds)))


def percentile(sorted_values: list[float], fraction: float) -> float:
    if not sorted_values:
        return float("nan")
    return sorted_values[min(len(sorted_values) - 1, int(fraction * len(sorted_values)))]


class Capture:
    """tcpdump of RTP towards the far end's media port, keeping ~1/`sample` of the streams.

    Streams are picked by SSRC bits in the kernel filter, so the capture costs little at
    800 streams and picks the same share of streams whatever process sends them.
    """

    def __init__(self, workdir: Path, media_port: int, streams: int) -> None:
        self.path = workdir / f"rtp-{media_port}-{streams}.pcap"
        mask = 1
        while streams / (mask * 2) >= 40:
            mask *= 2
        self._filter = f"udp and dst port {media_port}" + (
            f" and (udp[19] & {mask - 1}) = 0" if mask > 1 else ""
        )
        self._process: subprocess.Popen[bytes] | None = None
        self.stderr = ""

    def start(self) -> bool:
        if shutil.which("tcpdump") is None:
            return False
        self._process = subprocess.Popen(
            ["tcpdump", "-i", "lo", "-n", "-s", "96", "-B", "32768", "-w", str(self.path), self._filter],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        time.sleep(0.5)
        return True

    def stop(self) -> None:
        if self._process is None:
            return
        self._process.send_signal(signal.SIGINT)
        try:
            _, err = self._process.communicate(timeout=10)
            self.stderr = err.decode(errors="replace")
        except subprocess.TimeoutExpired:
            self._process.kill()

    def intervals(self) -> dict[str, float]:
        """Per-stream gaps between consecutive packets (ms): p50, p99, max, share over 25 ms."""
        if not self.path.exists():
            return {}
        data = self.path.read_bytes()
        if len(data) < 24:
            return {}
        offset = 24
        times: dict[bytes, list[float]] = {}
        while offset + 16 <= len(data):
            sec, usec, caplen, _ = struct.unpack_from("<IIII", data, offset)
            packet = data[offset + 16 : offset + 16 + caplen]
            offset += 16 + caplen
            ip = packet[14:]
            if len(ip) < 20:
                continue
            rtp = ip[(ip[0] & 0x0F) * 4 + 8 :]
            if len(rtp) >= 12:
                times.setdefault(rtp[8:12], []).append(sec + usec / 1e6)
        gaps: list[float] = []
        for stamps in times.values():
            gaps.extend((b - a) * 1000 for a, b in itertools.pairwise(stamps))
        gaps.sort()
        dropped = 0
        for line in self.stderr.splitlines():
            if "dropped by kernel" in line:
                dropped = int(line.split()[0])
        return {
            "streams": len(times),
            "p50": percentile(gaps, 0.50),
            "p99": percentile(gaps, 0.99),
            "max": gaps[-1] if gaps else float("nan"),
            "over25": sum(1 for g in gaps if g > 25) / max(1, len(gaps)),
            "dropped": dropped,
        }


# -- SIPp -------------------------------------------------------------------------------------


@dataclass
class SippProcess:
    args: list[str]
    workdir: Path
    name: str
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        stats = self.workdir / f"{self.name}-stats.csv"
        self.process = subprocess.Popen(
            ["sipp", *self.args, "-nostdin", "-trace_stat", "-stf", str(stats), "-fd", "1"],
            cwd=self.workdir,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(0.5)

    def wait(self, timeout: float) -> tuple[int, dict[str, str]]:
        assert self.process is not None
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        lines = (self.workdir / f"{self.name}-stats.csv").read_text(errors="replace").splitlines()
        stats = dict(zip(lines[0].split(";"), lines[-1].split(";"), strict=False)) if len(lines) > 1 else {}
        return code, stats

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def uas(workdir: Path, calls: int, timeout: float) -> tuple[SippProcess, int, int]:
    port, media = free_port(), free_port()
    far_end = SippProcess(
        ["-sf", str(SCENARIOS / "uas_echo.xml"), "-i", "127.0.0.1", "-p", str(port), "-mi", "127.0.0.1",
         "-mp", str(media), "-rtp_echo", "-m", str(calls), "-timeout", f"{int(timeout)}s",
         "-max_recv_loops", "10000"],
        workdir,
        f"uas-{port}",
    )  # fmt: skip
    far_end.start()
    return far_end, port, media


# -- one measured run ---------------------------------------------------------------------------


@dataclass
class Row:
    variant: str
    calls: int
    failures: int = 0
    cpu: float = 0.0  # % of one core, caller process(es)
    rss: float = 0.0  # MB, caller process(es)
    far_cpu: float = 0.0  # % of one core, the SIPp UAS
    wire: dict[str, float] = field(default_factory=dict)
    inproc_p99: float | None = None
    note: str = ""


def measure_window(
    pids: list[int], far_pid: int, capture: Capture, window: float
) -> tuple[float, float, float]:
    cpu0 = [cpu_seconds(p) for p in pids]
    far0 = cpu_seconds(far_pid)
    started = time.monotonic()
    capturing = capture.start()
    time.sleep(window)
    elapsed = time.monotonic() - started
    cpu = sum(cpu_seconds(p) - c for p, c in zip(pids, cpu0, strict=True)) / elapsed * 100
    far = (cpu_seconds(far_pid) - far0) / elapsed * 100
    rss = sum(rss_mb(p) for p in pids)
    if capturing:
        capture.stop()
    return cpu, rss, far


class Worker:
    """A child process running `worker-*` below, driven by lines on its stdin."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def expect(self, word: str, timeout: float) -> dict[str, object]:
        assert self.process.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                raise RuntimeError(f"worker exited before {word}")
            if line.startswith(word):
                return json.loads(line[len(word) :] or "{}")  # type: ignore[no-any-return]
        raise TimeoutError(word)

    def say(self, word: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(word + "\n")
        self.process.stdin.flush()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()


def run_ours(calls: int, procs: int, rate: float, window: float, workdir: Path, *, mode: str = "tone") -> Row:
    """`mode`: tone (a 440 Hz prompt), voice (a voice-like one), audio (voice, and every call
    reads `callee_audio` without detecting: the plumbing alone), amd (voice, and detection on
    every call)."""
    setup = calls / rate + 15
    far_end, port, media = uas(workdir, calls, setup + window + 60)
    name = "ours" if procs == 1 else f"ours x{procs}"
    row = Row(name + {"audio": "+audio", "amd": "+amd"}.get(mode, ""), calls)
    amd = mode == "amd"
    workers = []
    try:
        shares = [calls // procs + (1 if i < calls % procs else 0) for i in range(procs)]
        workers = [
            Worker("worker-ours", str(n), str(port), str(rate / procs), str(i), mode)
            for i, n in enumerate(shares)
        ]
        ready = [w.expect("READY", setup) for w in workers]
        row.failures += sum(int(r["failed"]) for r in ready)  # type: ignore[call-overload]
        time.sleep(1.0)
        for w in workers:
            w.say("MEASURE")
        capture = Capture(workdir, media, calls)
        assert far_end.process is not None
        row.cpu, row.rss, row.far_cpu = measure_window(
            [w.process.pid for w in workers], far_end.process.pid, capture, window
        )
        row.wire = capture.intervals()
        for w in workers:
            w.say("STOP")
        results = [w.expect("RESULT", 60) for w in workers]
        row.failures += sum(int(r["failed"]) for r in results)  # type: ignore[call-overload]
        row.inproc_p99 = max(float(r["p99_ms"]) for r in results)  # type: ignore[arg-type]
        if amd:
            verdicts = sum(int(r["verdicts"]) for r in results)  # type: ignore[call-overload]
            row.note = f"{verdicts} AMD verdicts in the window"
        code, stats = far_end.wait(30)
        failed = int(stats.get("FailedCall(C)", "0") or 0)
        row.failures += failed
        if code != 0 or int(stats.get("SuccessfulCall(C)", "0") or 0) != calls:
            row.note = f"sipp exit {code}, {stats.get('SuccessfulCall(C)')} ok / {failed} failed"
    finally:
        for w in workers:
            w.kill()
        far_end.kill()
    return row


def run_aiortp(calls: int, window: float, workdir: Path) -> Row:
    far_end, _, media = uas(workdir, 1, window + 120)
    row = Row("aiortp", calls, note="media only")
    worker = Worker("worker-aiortp", str(calls), str(media), str(window + 15))
    try:
        worker.expect("READY", 60)
        time.sleep(1.0)
        capture = Capture(workdir, media, calls)
        assert far_end.process is not None
        row.cpu, row.rss, row.far_cpu = measure_window(
            [worker.process.pid], far_end.process.pid, capture, window
        )
        row.wire = capture.intervals()
        worker.say("STOP")
        worker.expect("RESULT", 60)
    finally:
        worker.kill()
        far_end.kill()
    return row


def run_sipp(calls: int, rate: float, window: float, workdir: Path) -> Row:
    setup = calls / rate + 3
    hold_ms = int((setup + window + 3) * 1000)
    far_end, port, media = uas(workdir, calls, setup + window + 60)
    ulaw_file(workdir / "stream.ulaw", 3.0)
    caller = SippProcess(
        [f"127.0.0.1:{port}", "-sf", str(SCENARIOS / "uac_stream.xml"),
         "-i", "127.0.0.1", "-p", str(free_port()),
         "-mi", "127.0.0.1", "-mp", str(free_port()), "-d", str(hold_ms), "-l", str(calls), "-m", str(calls),
         "-r", str(int(rate)), "-timeout", f"{int(setup + window + 60)}s"],
        workdir,
        f"uac-{port}",
    )  # fmt: skip
    row = Row("sipp", calls)
    try:
        caller.start()
        time.sleep(setup)
        capture = Capture(workdir, media, calls)
        assert caller.process is not None and far_end.process is not None
        row.cpu, row.rss, row.far_cpu = measure_window(
            [caller.process.pid], far_end.process.pid, capture, window
        )
        row.wire = capture.intervals()
        code, stats = caller.wait(hold_ms / 1000 + 30)
        row.failures = int(stats.get("FailedCall(C)", "0") or 0)
        if code != 0:
            row.note = f"sipp exit {code}"
        far_end.wait(30)
    finally:
        caller.kill()
        far_end.kill()
    return row


# -- workers ------------------------------------------------------------------------------------


async def worker_ours(calls: int, port: int, rate: float, index: int, mode: str = "tone") -> None:
    from aicall.calls.outcomes import CallOutcome
    from aicall.media import Audio
    from aicall.speech.amd import AnsweringMachineDetector
    from aicall.telephony.session import CallEnded, DialRequest, TrunkConfig
    from aicall.telephony.sip import SipBackend, SipTimers

    base = 20000 + index * 10000
    backend = SipBackend(
        "127.0.0.1", 0, rtp_port_range=(base, base + 9998), timers=SipTimers(dead_media=10.0)
    )
    await backend.start()
    trunk = TrunkConfig(id="sipp", host="127.0.0.1", port=port)
    prompt = Audio.from_pcm("bench prompt", tone_pcm(3.0) if mode == "tone" else voice_pcm(3.0))
    stop = asyncio.Event()
    verdicts = [0]
    measuring = asyncio.Event()
    answered: list[int] = []
    failed: list[str] = []
    settled = asyncio.Event()  # every call answered or failed

    def tally() -> None:
        if len(answered) + len(failed) >= calls:
            settled.set()

    async def one(n: int) -> str:
        request = DialRequest(
            call_id=f"bench-{index}-{n}",
            to_number=f"+8490{n:07d}",
            from_number="+842800000",
            ring_timeout=30,
            max_duration=3600,
            trunk=trunk,
        )
        result = await backend.originate(request)
        if result.outcome is not CallOutcome.ANSWERED or result.session is None:
            failed.append(f"{result.outcome}:{result.sip_code}")
            tally()
            return "not answered"
        answered.append(n)
        tally()
        session = result.session
        detecting = asyncio.create_task(detect(session)) if mode in ("audio", "amd") else None
        try:
            while not stop.is_set():
                await session.play(prompt, barge_in=False)
        except CallEnded as ended:
            failed.append(f"ended:{ended.reason}")
            tally()
            return "ended early"
        finally:
            if detecting is not None:
                detecting.cancel()
        await session.hangup()
        return "ok"

    async def detect(session: object) -> None:
        """The dialer's detection loop (dialer/amd_screen.AmdWatch) without end: a new detector
        after each verdict, so every call is analysed for the whole window."""
        while not stop.is_set():
            detector = AnsweringMachineDetector()
            async for frame in session.callee_audio():  # type: ignore[attr-defined]
                if mode == "amd" and detector.feed(frame) is not None:
                    if measuring.is_set():
                        verdicts[0] += 1
                    break
            else:
                return  # the call ended

    tasks = []
    for n in range(calls):
        tasks.append(asyncio.create_task(one(n)))
        await asyncio.sleep(1 / rate)
    await settled.wait()
    print("READY" + json.dumps({"answered": len(answered), "failed": len(failed)}), flush=True)
    await _expect_line("MEASURE")
    assert backend.clock.intervals is not None
    backend.clock.intervals.reset()
    measuring.set()
    await _expect_line("STOP")
    p99 = backend.clock.intervals.percentile(0.99) * 1000
    failed_before = len(failed)
    stop.set()
    await asyncio.wait_for(asyncio.gather(*tasks), 30)
    await backend.close()
    print(
        "RESULT"
        + json.dumps(
            {
                "p99_ms": p99,
                "failed": len(failed) - failed_before,
                "late_ticks": backend.clock.late_ticks,
                "verdicts": verdicts[0],
            }
        ),
        flush=True,
    )


async def worker_aiortp(streams: int, media_port: int, seconds: float) -> None:
    import aiortp

    pcm = tone_pcm(3.0)
    frames = [pcm[i : i + 320] for i in range(0, len(pcm), 320)]
    sessions = [
        await aiortp.RTPSession.create(
            local_addr=("127.0.0.1", 0), remote_addr=("127.0.0.1", media_port), payload_type=0, paced=True
        )
        for _ in range(streams)
    ]
    # queued only once every session exists, so none runs dry before the window ends
    for session in sessions:
        for n in range(int(seconds / 0.02)):
            session.send_audio_pcm_auto(frames[n % len(frames)])  # the library encodes each frame
    print("READY{}", flush=True)
    await _expect_line("STOP")
    for session in sessions:
        await session.close()
    print("RESULT{}", flush=True)


async def _expect_line(word: str) -> None:
    while True:
        line = await asyncio.to_thread(sys.stdin.readline)
        if not line or line.strip() == word:
            return


# -- main ---------------------------------------------------------------------------------------


def fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.{digits}f}"


def print_table(rows: list[Row]) -> None:
    print()
    print(
        "| caller | calls | failures | caller CPU % | caller RSS MB | SIPp UAS CPU % "
        "| send gap p50 ms | p99 ms | max ms | gaps > 25 ms | our clock p99 ms | note |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    for r in rows:
        wire = r.wire
        over25 = fmt(100 * wire["over25"], 2) + " %" if "over25" in wire else "-"
        print(
            f"| {r.variant} | {r.calls} | {r.failures} | {fmt(r.cpu, 0)} | {fmt(r.rss, 0)} "
            f"| {fmt(r.far_cpu, 0)} "
            f"| {fmt(wire.get('p50'))} | {fmt(wire.get('p99'))} | {fmt(wire.get('max'))} "
            f"| {over25} | {fmt(r.inproc_p99)} | {r.note} |",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--counts", default="50,100,200,400,800")
    parser.add_argument("--variants", default="ours,aiortp,sipp")
    parser.add_argument("--procs", type=int, default=1, help="our worker processes (one per core)")
    parser.add_argument("--rate", type=float, default=100.0, help="calls per second while setting up")
    parser.add_argument("--window", type=float, default=6.0, help="seconds measured once all calls are up")
    parser.add_argument(
        "--amd",
        action="store_true",
        help="also run ours+amd (answering-machine detection on every call) beside ours, both "
        "playing a voice-like prompt",
    )
    parser.add_argument(
        "--nice",
        type=int,
        default=0,
        help="niceness for the bench and every process it starts (e.g. -10 as root "
        "on a shared machine); all three callers and the far end get the same",
    )
    parser.add_argument(
        "--realtime",
        action="store_true",
        help="SCHED_RR priority 10 for the bench and every process it starts "
        "(as a media server is run in production); all callers and the far end alike",
    )
    args = parser.parse_args()
    if args.nice:
        os.nice(args.nice)
    if args.realtime:
        os.sched_setscheduler(0, os.SCHED_RR, os.sched_param(10))
    if shutil.which("sipp") is None:
        sys.exit("sipp is not installed (Debian: sip-tester)")
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="bench-sip-") as tmp:
        workdir = Path(tmp)
        for calls in (int(c) for c in args.counts.split(",")):
            for variant in args.variants.split(","):
                started = time.monotonic()
                if variant == "ours" and args.amd:
                    for mode in ("voice", "audio"):
                        rows.append(run_ours(calls, args.procs, args.rate, args.window, workdir, mode=mode))
                        print_table(rows[-1:])
                    row = run_ours(calls, args.procs, args.rate, args.window, workdir, mode="amd")
                elif variant == "ours":
                    row = run_ours(calls, args.procs, args.rate, args.window, workdir)
                elif variant == "aiortp":
                    row = run_aiortp(calls, args.window, workdir)
                else:
                    row = run_sipp(calls, args.rate, args.window, workdir)
                rows.append(row)
                print(f"# {variant} x{calls}: {time.monotonic() - started:.0f}s", file=sys.stderr, flush=True)
                print_table([row])
    print_table(rows)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "worker-ours":
        asyncio.run(
            worker_ours(int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]), sys.argv[6])
        )
    elif len(sys.argv) > 1 and sys.argv[1] == "worker-aiortp":
        asyncio.run(worker_aiortp(int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])))
    else:
        main()
