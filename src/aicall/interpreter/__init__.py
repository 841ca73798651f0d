"""Runs one scenario on one call session; knows nothing of SQL, HTTP or SIP."""

from aicall.interpreter.prompter import (
    InterpreterError,
    Prompter,
    PromptRenderError,
    TextPrompter,
    fill_template,
)
from aicall.interpreter.runner import MAX_STEPS, run_script
from aicall.interpreter.trace import CallTrace, Step, StepResult

__all__ = [
    "MAX_STEPS",
    "CallTrace",
    "InterpreterError",
    "PromptRenderError",
    "Prompter",
    "Step",
    "StepResult",
    "TextPrompter",
    "fill_template",
    "run_script",
]
