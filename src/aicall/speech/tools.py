"""External tools (espeak-ng, sox) run as asyncio subprocesses that never outlive their caller."""

from __future__ import annotations

import asyncio
import contextlib
import shutil

from aicall.speech.errors import TtsError

__all__ = ["run_tool", "tool_path"]


def tool_path(name: str) -> str | None:
    return shutil.which(name)


async def run_tool(args: list[str], stdin: bytes, *, timeout: float) -> bytes:
    """Run `args` with `stdin`, return its stdout; `TtsError` on failure or time-out."""
    try:
        process = await asyncio.create_subprocess_exec(
            *args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
    except OSError as exc:  # not installed, not executable
        raise TtsError(f"cannot run {args[0]}: {exc.strerror or exc}") from exc
    try:
        stdout, stderr = await asyncio.wait_for(process.communicate(stdin), timeout)
    except TimeoutError:
        await _kill(process)
        raise TtsError(f"{args[0]} took more than {timeout:g} s") from None
    except BaseException:
        # A hung-up call cancels its prompt: the child must not live on as a zombie.
        await _kill(process)
        raise
    if process.returncode != 0:
        message = stderr.decode(errors="replace").strip()[:300]
        raise TtsError(f"{args[0]} failed with exit code {process.returncode}: {message}")
    return stdout


async def _kill(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        with contextlib.suppress(ProcessLookupError):  # exited between the check and the kill
            process.kill()
    # shielded: being cancelled again must not leave the child unreaped
    await asyncio.shield(process.wait())
