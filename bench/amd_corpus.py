"""A labelled set of answered-call audio for answering-machine detection, made on the spot.

`build_corpus(dest_dir)` returns 188 clips, each a WAV file (8 kHz mono s16le, what a
telephone call carries) that starts at the moment of answer and is labelled "human" or "machine":

* people answering in Vietnamese: "A lô", "Alo, ai đấy ạ?", "Vâng, tôi nghe", a pause before
  "alo", "alo... alo", over loud noise, quietly, with a pause inside, with a television talking
  in the room, and the hard case of a person who says a whole sentence and then waits;
* machines: the carriers' "Thuê bao quý khách vừa gọi..." announcements (some with the three
  rising special-information tones, some followed by the English version, some repeated),
  personal and business voicemail greetings with and without the closing beep, greetings after
  music-like tones, quiet voicemails, a dead line that answers and says nothing, and the hard
  case of a very short "Để lại lời nhắn" with and without a beep.

Speech is espeak-ng (Vietnamese voices `vi`, `vi-vn-x-central`, `vi-vn-x-south`, with variants,
speeds and pitches); sox brings it to 8 kHz, mixes white/pink/brown noise at several levels,
band-passes 300-3400 Hz (a telephone channel) and passes it through G.711 A-law and back (what
RTP PCMA does). Everything is deterministic (sox `-R`, seeded choices), so the same tools give the
same set; nothing binary is committed. Files are cached by content: the name is a hash of the
clip's recipe and the tools' versions, so a second call costs only the hashing.

    from bench.amd_corpus import build_corpus, read_pcm
    clips = build_corpus(Path("/tmp/amd-corpus"))   # needs espeak-ng and sox on PATH

Run as a script it builds the set and prints it: `.venv/bin/python bench/amd_corpus.py DIR`.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import wave
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

__all__ = ["HUMAN", "MACHINE", "SEED", "Clip", "build_corpus", "clip_recipes", "read_pcm", "tools_available"]

HUMAN = "human"
MACHINE = "machine"
RATE = 8000
_RECIPE_VERSION = 1  # bump when the way a recipe becomes audio changes


@dataclass(frozen=True, slots=True)
class Clip:
    """One labelled clip: a WAV file (8 kHz mono s16le, from the answer on) and what it is.

    `label` is "human" or "machine" (the values of `aicall.speech.amd.AmdVerdict`); `group` names
    the family of clips for per-family figures (e.g. "human_short", "carrier").
    """

    path: Path
    label: str
    description: str
    group: str = ""


# A recipe is a list of parts, each a small dict (JSON, so it hashes stably):
#   {"say": text, "voice": "vi+m3", "wpm": 175, "pitch": 50}  speech (peak -6 dBFS,
#                                                             "level_db" below that)
#   {"silence": seconds}
#   {"tone": Hz, "seconds": s, "level": 0..1}                  a pure tone (a beep)
#   {"music": [[Hz, seconds], ...], "level": 0..1}             notes with two harmonics
# plus, for the whole clip, "noise": [kind, level] or None.


def tools_available() -> bool:
    """True when espeak-ng and sox are on PATH (the set cannot be built without them)."""
    return shutil.which("espeak-ng") is not None and shutil.which("sox") is not None


def read_pcm(path: Path) -> bytes:
    """The s16le samples of a clip's WAV file."""
    with wave.open(str(path), "rb") as wav:
        return wav.readframes(wav.getnframes())


HUMAN_GREETINGS = [
    "A lô",
    "Alo",
    "Alo, ai đấy ạ?",
    "Vâng, tôi nghe",
    "Alo, tôi nghe đây",
    "Dạ, alo",
    "Vâng ạ",
    "A lô, ai đấy?",
    "Alo, xin chào",
    "Ừ, alo",
    "Alo, ai gọi đấy?",
    "Dạ, em nghe",
]
HUMAN_LONG = [  # the hard case: a person who says a whole sentence before waiting
    "Alo, vâng, tôi là Minh đây, có việc gì không ạ?",
    "Alo, tôi đang bận, lát nữa gọi lại nhé",
    "A lô, ai đấy, sao không nói gì vậy?",
    "Dạ alo, chị Lan nghe đây ạ, ai gọi đấy?",
]
CARRIER = [
    "Thuê bao quý khách vừa gọi hiện không liên lạc được, xin vui lòng gọi lại sau",
    "Số máy quý khách vừa gọi tạm thời không liên lạc được, xin quý khách vui lòng gọi lại sau",
    "Thuê bao quý khách vừa gọi hiện đang bận, xin vui lòng gọi lại sau",
    "Số máy quý khách vừa gọi không có thực, xin vui lòng kiểm tra lại",
    "Thuê bao quý khách vừa gọi tạm thời bị khóa chiều gọi đến",
]
CARRIER_EN = "The number you have dialed is not available, please call again later"
VOICEMAIL = [
    (
        "Xin chào, đây là hộp thư thoại của Minh. Hiện tôi không thể nghe máy, "
        "vui lòng để lại lời nhắn sau tiếng bíp"
    ),
    "Chào bạn, mình là Hoa, mình đang bận, bạn để lại lời nhắn nhé, mình sẽ gọi lại",
    "Quý khách đã gọi đến hộp thư thoại của số máy này. Vui lòng để lại lời nhắn sau tiếng bíp",
    (
        "Cảm ơn quý khách đã gọi đến công ty Ánh Dương. Hiện chúng tôi đã hết giờ làm việc. "
        "Xin vui lòng để lại lời nhắn, chúng tôi sẽ liên hệ lại"
    ),
    "Xin chào, tôi là luật sư Trần Văn Nam, hiện tôi đang họp. Xin để lại tên và số điện thoại",
]
SHORT_MACHINE = ["Để lại lời nhắn", "Vui lòng để lại lời nhắn"]  # the hard case: as short as a person
VOICES = ["vi", "vi+m3", "vi+f2", "vi+f4", "vi-vn-x-south", "vi-vn-x-central+m1", "vi-vn-x-south+f3"]
NOISES = [None, ("whitenoise", 0.004), ("pinknoise", 0.01), ("brownnoise", 0.03), ("whitenoise", 0.012)]
LOUD_NOISES = [("whitenoise", 0.06), ("pinknoise", 0.12), ("brownnoise", 0.4)]
# Beeps of real voicemail systems: 425 Hz (Asian PBXs), 440, 850, 1000 (most), 1400 Hz.
BEEPS = [1000, 1000, 850, 440, 1400, 425]
# The special-information tones before a network announcement (ITU-T E.180 / Telcordia SIT).
SIT = [[913.8, 0.33], [1370.6, 0.33], [1776.7, 0.38]]


def _speech(
    rng: random.Random, text: str, *, fast: bool = False, voice: str | None = None
) -> dict[str, object]:
    return {
        "say": text,
        "voice": voice or rng.choice(VOICES),
        "wpm": rng.choice([150, 170, 190, 210, 230] if fast else [120, 140, 160, 175, 190, 210]),
        "pitch": rng.choice([35, 45, 50, 60, 70]),
    }


SEED = 20261201  # the set the thresholds were tuned on; another seed gives a held-out set


def clip_recipes(seed: int = SEED) -> list[tuple[str, str, str, dict[str, object]]]:
    """Every clip as (label, group, description, recipe), in a fixed order (choices seeded by
    `seed`: voices, speeds, pitches, pauses, beeps and noise differ, the families do not)."""
    rng = random.Random(seed)
    out: list[tuple[str, str, str, dict[str, object]]] = []

    def add(label: str, group: str, description: str, parts: list[dict[str, object]]) -> None:
        noise = rng.choice(NOISES)
        out.append((label, group, description, {"parts": parts, "noise": list(noise) if noise else None}))

    # People: a short greeting, then they wait for the caller.
    for index, text in enumerate(HUMAN_GREETINGS * 3):
        lead = rng.choice([0.2, 0.3, 0.5, 0.8])
        add(
            HUMAN,
            "human_short",
            f"says {text!r} after {lead:g} s, then waits",
            [{"silence": lead}, _speech(rng, text), {"silence": 4.0 + index % 2}],
        )
    for text in ["Alo", "A lô", "Alo, ai đấy ạ?", "Vâng, tôi nghe", "Alo, ai đấy?", "Dạ, alo"] * 2:
        lead = rng.choice([1.2, 1.6, 2.0, 2.5])
        add(
            HUMAN,
            "human_delayed",
            f"silence {lead:g} s, then {text!r}, then waits",
            [{"silence": lead}, _speech(rng, text), {"silence": 4.0}],
        )
    for text in ["Alo", "A lô", "Alo alo", "Alo, ai đấy?"] * 2:
        gap = rng.choice([0.9, 1.2, 1.5])
        add(
            HUMAN,
            "human_repeats",
            f"{text!r}, {gap:g} s, {text!r} again, then waits",
            [{"silence": 0.3}, _speech(rng, text), {"silence": gap}, _speech(rng, text), {"silence": 3.0}],
        )
    for index, text in enumerate(
        ["A lô", "Alo, ai đấy ạ?", "Vâng, tôi nghe", "Alo", "Dạ, alo", "Alo, ai gọi đấy?"] * 2
    ):
        # A person in the street or a noisy shop: noise well above the rest of the set's.
        loud = LOUD_NOISES[index % len(LOUD_NOISES)]
        out.append(
            (
                HUMAN,
                "human_noisy",
                f"says {text!r} over loud {loud[0]}, then waits",
                {"parts": [{"silence": 0.4}, _speech(rng, text), {"silence": 4.0}], "noise": list(loud)},
            )
        )
    for text in HUMAN_LONG * 3:
        add(
            HUMAN,
            "human_long",
            f"a person who talks on: {text!r}, then waits",
            [{"silence": 0.4}, _speech(rng, text, fast=True), {"silence": 4.0}],
        )
    # Machines.
    for index, text in enumerate(CARRIER * 4):
        parts: list[dict[str, object]] = [{"silence": rng.choice([0.1, 0.3, 0.6])}]
        what = "carrier announcement"
        if index % 3 == 0:
            parts.append({"music": SIT, "level": 0.3})
            parts.append({"silence": 0.2})
            what += " after the special-information tones"
        parts.append(_speech(rng, text, voice=rng.choice(["vi+f2", "vi+f4", "vi"])))
        if index % 4 == 1:
            parts += [{"silence": 0.6}, _speech(rng, CARRIER_EN, voice="en+f2")]
            what += ", then in English"
        add(MACHINE, "carrier", f"{what}: {text!r}", [*parts, {"silence": 2.0}])
    for index, text in enumerate(VOICEMAIL * 6):
        beep = index % 3 != 2
        parts = [{"silence": rng.choice([0.2, 0.5, 1.0])}, _speech(rng, text)]
        what = "voicemail greeting"
        if beep:
            hz = rng.choice(BEEPS)
            parts += [
                {"silence": rng.choice([0.3, 0.6])},
                {"tone": hz, "seconds": rng.choice([0.3, 0.5, 1.0]), "level": 0.35},
            ]
            what += f" + {hz} Hz beep"
        add(
            MACHINE,
            "voicemail_beep" if beep else "voicemail",
            f"{what}: {text[:40]!r}...",
            [*parts, {"silence": 3.0}],
        )
    for text in VOICEMAIL[:4] * 2:
        notes = [
            [rng.choice([523.3, 587.3, 659.3, 698.5, 784.0, 880.0]), rng.choice([0.2, 0.3, 0.4])]
            for _ in range(8)
        ]
        add(
            MACHINE,
            "voicemail_music",
            f"music, then a greeting and a beep: {text[:40]!r}...",
            [
                {"silence": 0.2},
                {"music": notes, "level": 0.25},
                _speech(rng, text),
                {"silence": 0.4},
                {"tone": 1000, "seconds": 0.5, "level": 0.35},
                {"silence": 3.0},
            ],
        )
    for text in SHORT_MACHINE * 3:
        add(
            MACHINE,
            "machine_short",
            f"a short machine message {text!r} + beep",
            [
                {"silence": 0.3},
                _speech(rng, text),
                {"silence": 0.3},
                {"tone": rng.choice(BEEPS), "seconds": 0.5, "level": 0.35},
                {"silence": 3.0},
            ],
        )
    for seconds in [4.0, 5.0, 6.0, 6.0]:
        add(MACHINE, "dead_air", f"answers and says nothing for {seconds:g} s", [{"silence": seconds}])
    # Added later, after the clips above, so their seeded choices stay as they were.
    for text in ["A lô", "Alo, ai đấy?", "Vâng, tôi nghe", "Dạ, alo"] * 2:
        quiet = {**_speech(rng, text), "level_db": -20}  # far from the mouthpiece
        add(
            HUMAN,
            "human_quiet",
            f"says {text!r} 20 dB quieter than the rest, then waits",
            [{"silence": 0.5}, quiet, {"silence": 4.0}],
        )
    for first, second in [
        ("Alo", "Ai đấy?"),
        ("A lô", "Ai gọi đấy ạ?"),
        ("Alo", "Nghe không?"),
        ("Dạ", "Ai đấy ạ?"),
    ] * 2:
        pause = rng.choice([0.5, 0.6, 0.7])
        add(
            HUMAN,
            "human_pause",
            f"{first!r}, {pause:g} s, {second!r}, then waits",
            [
                {"silence": 0.3},
                _speech(rng, first),
                {"silence": pause},
                _speech(rng, second),
                {"silence": 4.0},
            ],
        )
    for text in CARRIER[:4] * 2:
        voice = rng.choice(["vi+f2", "vi+f4"])
        add(
            MACHINE,
            "carrier_repeat",
            f"carrier announcement in Vietnamese and English, repeated: {text!r}",
            [
                {"silence": 0.2},
                _speech(rng, text, voice=voice),
                {"silence": 0.8},
                _speech(rng, CARRIER_EN, voice="en+f2"),
                {"silence": 1.0},
                _speech(rng, text, voice=voice),
                {"silence": 1.0},
            ],
        )
    for text in VOICEMAIL[:3] * 2:
        quiet = {**_speech(rng, text), "level_db": -15}
        add(
            MACHINE,
            "voicemail_quiet",
            f"a quiet voicemail greeting + beep: {text[:40]!r}...",
            [
                {"silence": 0.4},
                quiet,
                {"silence": 0.4},
                {"tone": rng.choice(BEEPS), "seconds": 0.5, "level": 0.1},
                {"silence": 3.0},
            ],
        )
    for text in ["Xin để lại lời nhắn", "Vui lòng để lại lời nhắn"] * 2:
        add(
            MACHINE,
            "machine_short",
            f"a short machine message {text!r}, no beep (the hardest case)",
            [{"silence": 0.3}, _speech(rng, text), {"silence": 4.0}],
        )
    for text in ["A lô", "Alo, ai đấy?", "Vâng, tôi nghe"] * 2:
        tv = {**_speech(rng, VOICEMAIL[3] + ". " + CARRIER[0]), "level_db": rng.choice([-18, -24])}
        out.append(
            (
                HUMAN,
                "human_tv",
                f"says {text!r} with a television talking in the room ({tv['level_db']} dB), then waits",
                {
                    "parts": [{"silence": 0.4}, _speech(rng, text), {"silence": 4.0}],
                    "noise": None,
                    "background": tv,
                },
            )
        )
    return out


def _tool_versions() -> str:
    versions = []
    for args in (["espeak-ng", "--version"], ["sox", "--version"]):
        result = subprocess.run(args, capture_output=True, check=True, timeout=30)
        versions.append(result.stdout.decode(errors="replace").split("Data at")[0].strip())
    return "|".join(versions)


def _run(args: Sequence[str], stdin: bytes | None = None) -> bytes:
    result = subprocess.run(list(args), input=stdin, capture_output=True, timeout=60)
    if result.returncode != 0:
        raise RuntimeError(f"{args[0]} failed: {result.stderr.decode(errors='replace')[:300]}")
    return result.stdout


_RAW = ["-t", "raw", "-r", str(RATE), "-c", "1", "-b", "16", "-e", "signed"]


def _samples(seconds: float, make: object) -> bytes:
    n = round(seconds * RATE)
    values = [max(-32767, min(32767, round(make(i)))) for i in range(n)]  # type: ignore[operator]
    return struct.pack(f"<{n}h", *values)


def _part_pcm(part: dict[str, object]) -> bytes:
    if "silence" in part:
        return b"\x00\x00" * round(float(part["silence"]) * RATE)  # type: ignore[arg-type]
    if "tone" in part:
        hz, amplitude = float(part["tone"]), float(part["level"]) * 32767  # type: ignore[arg-type]
        ramp = 0.005 * RATE  # 5 ms ramps: a real beep has no click at its edges

        def tone(i: int) -> float:
            edge = min(1.0, i / ramp, (round(float(part["seconds"]) * RATE) - i) / ramp)  # type: ignore[arg-type]
            return amplitude * edge * math.sin(2 * math.pi * hz * i / RATE)

        return _samples(float(part["seconds"]), tone)  # type: ignore[arg-type]
    if "music" in part:
        amplitude = float(part["level"]) * 32767  # type: ignore[arg-type]
        pcm = b""
        for hz, seconds in part["music"]:  # type: ignore[attr-defined]
            n = round(seconds * RATE)

            def note(i: int, hz: float = hz, n: int = n) -> float:
                envelope = min(1.0, i / 80) * math.exp(-2.0 * i / n)
                return (
                    amplitude
                    * envelope
                    * (math.sin(2 * math.pi * hz * i / RATE) + 0.5 * math.sin(4 * math.pi * hz * i / RATE))
                    / 1.5
                )

            pcm += _samples(seconds, note)
        return pcm
    wav = _run(
        [
            "espeak-ng",
            "-v",
            str(part["voice"]),
            "-s",
            str(part["wpm"]),
            "-p",
            str(part["pitch"]),
            "-b",
            "1",
            "--stdin",
            "--stdout",
        ],
        str(part["say"]).encode(),
    )
    # 22 050 Hz WAV -> 8 kHz raw; `gain -n -6` levels every voice the same (-6 dBFS peak).
    level = -6 + float(part.get("level_db", 0))  # type: ignore[arg-type]
    return _run(["sox", "-R", "-t", "wav", "-", *_RAW, "-", "gain", "-n", f"{level:g}"], wav)


def _render(recipe: dict[str, object], dest: Path) -> None:
    clean = b"".join(_part_pcm(part) for part in recipe["parts"])  # type: ignore[attr-defined]
    background = recipe.get("background")
    if background:  # someone else talking in the room (a television), under the whole clip
        under = _part_pcm(background)  # type: ignore[arg-type]
        under = (under * (len(clean) // max(2, len(under)) + 1))[: len(clean)]
        n = len(clean) // 2
        mixed = [
            a + b for a, b in zip(struct.unpack(f"<{n}h", clean), struct.unpack(f"<{n}h", under), strict=True)
        ]
        clean = struct.pack(f"<{n}h", *(max(-32767, min(32767, v)) for v in mixed))
    seconds = len(clean) / (2 * RATE)
    with tempfile.TemporaryDirectory(prefix="amd-corpus-") as tmp:
        clean_path, mixed_path = Path(tmp, "clean.raw"), Path(tmp, "mixed.raw")
        clean_path.write_bytes(clean)
        noise = recipe["noise"]
        if noise:
            kind, level = noise  # type: ignore[misc]
            noise_path = Path(tmp, "noise.raw")
            _run(
                [
                    "sox",
                    "-R",
                    "-n",
                    *_RAW,
                    str(noise_path),
                    "synth",
                    f"{seconds:.4f}",
                    str(kind),
                    "vol",
                    str(level),
                ]
            )
            _run(
                [
                    "sox",
                    "-R",
                    "-m",
                    "-v",
                    "1",
                    *_RAW,
                    str(clean_path),
                    "-v",
                    "1",
                    *_RAW,
                    str(noise_path),
                    *_RAW,
                    str(mixed_path),
                ]
            )
        else:
            mixed_path = clean_path
        # The telephone channel: 300-3400 Hz, then G.711 A-law and back (RTP's PCMA).
        alaw = _run(
            [
                "sox",
                "-R",
                *_RAW,
                str(mixed_path),
                "-t",
                "al",
                "-r",
                str(RATE),
                "-c",
                "1",
                "-",
                "sinc",
                "300-3400",
            ]
        )
        pcm = _run(["sox", "-R", "-t", "al", "-r", str(RATE), "-c", "1", "-", *_RAW, "-"], alaw)
    part = dest.with_suffix(".part")
    with wave.open(str(part), "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(RATE)
        wav.writeframes(pcm)
    os.replace(part, dest)  # never a half-written clip under the cached name


def build_corpus(dest_dir: Path, *, workers: int = 2, seed: int = SEED) -> list[Clip]:
    """Make (or reuse) every clip under `dest_dir`; return them in a fixed order.

    Raises RuntimeError when espeak-ng or sox is missing or fails. A clip already present under
    its content name is not made again.
    """
    if not tools_available():
        raise RuntimeError("the AMD corpus needs espeak-ng and sox on PATH")
    dest_dir.mkdir(parents=True, exist_ok=True)
    versions = _tool_versions()
    clips: list[Clip] = []
    todo: list[tuple[dict[str, object], Path]] = []
    for label, group, description, recipe in clip_recipes(seed):
        key = json.dumps([_RECIPE_VERSION, versions, recipe], sort_keys=True, ensure_ascii=False)
        path = dest_dir / f"{group}-{hashlib.sha256(key.encode()).hexdigest()[:16]}.wav"
        clips.append(Clip(path=path, label=label, description=description, group=group))
        if not path.exists():
            todo.append((recipe, path))
    if todo:
        with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
            list(pool.map(lambda job: _render(*job), todo))
    return clips


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else tempfile.gettempdir() + "/aicall-amd-corpus")
    for clip in build_corpus(target):
        print(f"{clip.label:8} {clip.group:16} {clip.path.name}  {clip.description}")
