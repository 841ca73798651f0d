"""WAV files in and out: what the TTS engines return and what the cache and the browser get.

The reader is tolerant on purpose: espeak-ng and HTTP servers that stream their answer write
the header before they know the length, so the RIFF and data sizes are placeholders
(0x7FFFFFFF, 0xFFFFFFFF). The data chunk then simply runs to the end of the bytes.
"""

from __future__ import annotations

import struct
import sys
from array import array
from dataclasses import dataclass

from aicall.media import BYTES_PER_SAMPLE, SAMPLE_RATE
from aicall.speech.errors import AudioFormatError
from aicall.speech.resample import to_telephone_pcm

__all__ = ["WavAudio", "parse_wav", "pcm_to_wav_bytes", "wav_bytes_to_pcm8k", "wav_header"]

_PCM = 1
_IEEE_FLOAT = 3
_EXTENSIBLE = 0xFFFE  # WAVE_FORMAT_EXTENSIBLE: the real format is in the sub-format GUID


@dataclass(frozen=True, slots=True)
class WavAudio:
    """The samples of a WAV file as signed 16-bit little-endian PCM, channels interleaved."""

    rate: int
    channels: int
    pcm: bytes


def pcm_to_wav_bytes(pcm: bytes, rate: int = SAMPLE_RATE, channels: int = 1) -> bytes:
    """A complete WAV file (44-byte header) around s16le `pcm`."""
    return wav_header(len(pcm), rate, channels) + pcm


def wav_header(data_bytes: int, rate: int = SAMPLE_RATE, channels: int = 1) -> bytes:
    """The 44-byte header of a 16-bit PCM WAV file holding `data_bytes` of samples."""
    block_align = channels * BYTES_PER_SAMPLE
    return struct.pack(
        "<4sI4s4sIHHIIHH4sI",
        b"RIFF",
        36 + data_bytes,
        b"WAVE",
        b"fmt ",
        16,
        _PCM,
        channels,
        rate,
        rate * block_align,
        block_align,
        BYTES_PER_SAMPLE * 8,
        b"data",
        data_bytes,
    )


def parse_wav(data: bytes) -> WavAudio:
    """The format and samples of a 16-bit PCM (or 32-bit float) WAV file."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise AudioFormatError("not a WAV file (no RIFF/WAVE header)")
    fmt: tuple[int, int, int, int] | None = None
    offset = 12
    while offset + 8 <= len(data):
        chunk_id, size = struct.unpack_from("<4sI", data, offset)
        body = offset + 8
        if chunk_id == b"fmt ":
            fmt = _parse_fmt(data[body : body + size])
        elif chunk_id == b"data":
            if fmt is None:
                raise AudioFormatError("WAV data chunk comes before its fmt chunk")
            end = min(body + size, len(data))  # streamed files declare a size they never reach
            return _to_pcm16(fmt, data[body:end])
        offset = body + size + (size & 1)  # chunks are padded to an even length
    raise AudioFormatError("WAV file has no data chunk")


def _parse_fmt(chunk: bytes) -> tuple[int, int, int, int]:
    if len(chunk) < 16:
        raise AudioFormatError("WAV fmt chunk is too short")
    tag, channels, rate, _, _, bits = struct.unpack_from("<HHIIHH", chunk)
    if tag == _EXTENSIBLE and len(chunk) >= 26:
        tag = struct.unpack_from("<H", chunk, 24)[0]  # first two bytes of the sub-format GUID
    if channels < 1 or rate < 1:
        raise AudioFormatError(f"WAV file declares {channels} channels at {rate} Hz")
    return tag, channels, rate, bits


def _to_pcm16(fmt: tuple[int, int, int, int], payload: bytes) -> WavAudio:
    tag, channels, rate, bits = fmt
    if tag == _PCM and bits == 16:
        pcm = payload[: len(payload) - len(payload) % (2 * channels)]
    elif tag == _IEEE_FLOAT and bits == 32:
        floats = array("f")
        floats.frombytes(payload[: len(payload) - len(payload) % (4 * channels)])
        if sys.byteorder == "big":
            floats.byteswap()
        ints = array("h", (max(-32768, min(32767, round(x * 32767))) for x in floats))
        if sys.byteorder == "big":
            ints.byteswap()
        pcm = ints.tobytes()
    else:
        kind = {_PCM: "PCM", _IEEE_FLOAT: "float"}.get(tag, f"format {tag:#x}")
        raise AudioFormatError(f"unsupported WAV encoding: {bits}-bit {kind} (16-bit PCM expected)")
    return WavAudio(rate=rate, channels=channels, pcm=pcm)


def wav_bytes_to_pcm8k(data: bytes) -> bytes:
    """Any 16-bit WAV (any rate, mono or stereo) -> 8 kHz mono s16le PCM, in pure Python."""
    wav = parse_wav(data)
    return to_telephone_pcm(wav.pcm, wav.rate, wav.channels)
