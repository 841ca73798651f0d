"""WAV parsing (tolerant of streamed headers) and the pure-Python conversion to 8 kHz mono."""

from __future__ import annotations

import io
import math
import struct
import wave
from array import array

import pytest

from aicall.speech.errors import AudioFormatError
from aicall.speech.resample import downmix_to_mono, resample_pcm16
from aicall.speech.wav import parse_wav, pcm_to_wav_bytes, wav_bytes_to_pcm8k


def tone(frequency: float, rate: int, seconds: float = 1.0, amplitude: int = 10_000) -> bytes:
    count = round(rate * seconds)
    return array(
        "h", (round(amplitude * math.sin(2 * math.pi * frequency * n / rate)) for n in range(count))
    ).tobytes()


def peak(pcm: bytes, margin: int = 200) -> int:
    samples = array("h")
    samples.frombytes(pcm)
    return max(abs(s) for s in samples[margin:-margin])


def wav_file(pcm: bytes, rate: int, channels: int = 1) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes(pcm)
    return buffer.getvalue()


def test_our_wav_bytes_are_read_back_by_the_standard_wave_module() -> None:
    pcm = tone(440, 8000, 0.1)

    with wave.open(io.BytesIO(pcm_to_wav_bytes(pcm)), "rb") as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (8000, 1, 2)
        assert wav.readframes(wav.getnframes()) == pcm


def test_a_streamed_wav_with_placeholder_sizes_is_read_to_its_end() -> None:
    pcm = tone(440, 22050, 0.2)
    data = bytearray(pcm_to_wav_bytes(pcm, rate=22050))
    data[4:8] = struct.pack("<I", 0x7FFFFFFF)  # what espeak-ng --stdout writes
    data[40:44] = struct.pack("<I", 0xFFFFFFFF)

    parsed = parse_wav(bytes(data))

    assert (parsed.rate, parsed.channels, parsed.pcm) == (22050, 1, pcm)


def test_chunks_before_the_data_are_skipped() -> None:
    pcm = tone(440, 8000, 0.05)
    plain = pcm_to_wav_bytes(pcm)
    extra = b"LIST" + struct.pack("<I", 5) + b"abcde" + b"\0"  # odd size: padded to even
    data = plain[:36] + extra + plain[36:]

    assert parse_wav(data).pcm == pcm


def test_a_24khz_stereo_wav_becomes_8khz_mono_at_the_same_loudness() -> None:
    mono = tone(1000, 24000)
    stereo = array("h")
    for sample in array("h", mono):
        stereo.extend((sample, sample))

    pcm = wav_bytes_to_pcm8k(wav_file(stereo.tobytes(), 24000, channels=2))

    assert len(pcm) == 8000 * 2
    assert peak(pcm) == pytest.approx(10_000, rel=0.03)


def test_32bit_float_wav_is_converted_to_16bit() -> None:
    floats = array("f", [0.0, 0.5, -0.5, 1.5])
    fmt = struct.pack("<HHIIHH", 3, 1, 8000, 32000, 4, 32)
    body = floats.tobytes()
    data = b"RIFF" + struct.pack("<I", 0) + b"WAVE" + b"fmt " + struct.pack("<I", 16) + fmt
    data += b"data" + struct.pack("<I", len(body)) + body

    assert array("h", parse_wav(data).pcm).tolist() == [0, 16384, -16384, 32767]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "not a WAV file"),
        (b"ID3\x04" + bytes(40), "not a WAV file"),
        (b"RIFF\0\0\0\0WAVE", "no data chunk"),
        (pcm_to_wav_bytes(b"")[:12] + b"data" + struct.pack("<I", 0), "before its fmt"),
    ],
)
def test_bytes_that_are_not_a_usable_wav_are_refused(data: bytes, reason: str) -> None:
    with pytest.raises(AudioFormatError, match=reason):
        parse_wav(data)


def test_8bit_wav_is_refused_with_its_format_named() -> None:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(1)
        wav.setframerate(8000)
        wav.writeframes(bytes(100))

    with pytest.raises(AudioFormatError, match="8-bit PCM"):
        parse_wav(buffer.getvalue())


def test_downsampling_keeps_a_tone_in_the_phone_band() -> None:
    pcm = resample_pcm16(tone(1000, 22050), 22050, 8000)

    assert len(pcm) == 8000 * 2
    assert peak(pcm) == pytest.approx(10_000, rel=0.03)


def test_downsampling_filters_out_what_8khz_cannot_carry() -> None:
    # A 6 kHz tone would alias to 2 kHz without the anti-aliasing filter.
    pcm = resample_pcm16(tone(6000, 22050), 22050, 8000)

    assert peak(pcm) < 100


def test_upsampling_works_too() -> None:
    pcm = resample_pcm16(tone(500, 6000), 6000, 8000)

    assert len(pcm) == 8000 * 2
    assert peak(pcm) == pytest.approx(10_000, rel=0.03)


def test_same_rate_is_returned_untouched() -> None:
    pcm = tone(500, 8000, 0.1)

    assert resample_pcm16(pcm, 8000, 8000) is pcm


def test_downmix_averages_the_channels() -> None:
    stereo = array("h", [100, 300, -200, 0, 32767, 32767]).tobytes()

    assert array("h", downmix_to_mono(stereo, 2)).tolist() == [200, -100, 32767]
