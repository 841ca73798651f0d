"""Dialling settings of a campaign: defaults <- the scenario's call_config <- the campaign's own.

A campaign stores only what its owner set (`Campaign.settings`), so a change to the scenario's
defaults reaches every campaign that did not override that setting. The defaults themselves
are `campaigns.defaults`.
"""

from __future__ import annotations

from datetime import date, time
from functools import lru_cache
from typing import Any, Literal
from zoneinfo import available_timezones

from pydantic import ConfigDict, Field, field_validator, model_validator
from pydantic.alias_generators import to_camel

from aicall.calls.outcomes import CallOutcome
from aicall.campaigns import defaults
from aicall.compliance.holidays import is_supported
from aicall.jsontypes import JsonModel

DAY_NAMES = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
RETRYABLE = (
    CallOutcome.NO_ANSWER,
    CallOutcome.BUSY,
    CallOutcome.FAILED,
    CallOutcome.VOICEMAIL,
    CallOutcome.REJECTED,
)


class _Model(JsonModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid")


MAX_HOUR_RANGES = 24
MAX_EXCLUDED_DATES = 366
MAX_TIMEZONE_LENGTH = 64  # the longest IANA name is 32 characters


@lru_cache(maxsize=1)
def _timezones() -> frozenset[str]:
    return frozenset(available_timezones())


class HourRange(_Model):
    start: time = time(0, 0)
    end: time | None = None  # None: until midnight

    @field_validator("end", mode="before")
    @classmethod
    def _midnight(cls, value: Any) -> Any:
        return None if value in ("24:00", "24:00:00") else value

    @model_validator(mode="after")
    def _ordered(self) -> HourRange:
        if self.end is not None and self.end <= self.start:
            raise ValueError(f"hour range ends ({self.end}) before it starts ({self.start})")
        return self

    def contains(self, moment: time) -> bool:
        return self.start <= moment and (self.end is None or moment < self.end)


class RetryRule(_Model):
    max_attempts: int = Field(default=0, ge=0, le=20)  # re-calls after the first attempt
    interval: int = Field(default=defaults.RE_CALL_DELAY_MINUTES * 60, ge=0, le=30 * 86400)  # seconds


def _default_retry() -> dict[str, RetryRule]:
    # The scenario default's re_call, read as a scenario's: one rule for both, never two copies.
    rules = from_call_config({"re_call": dict(defaults.RE_CALL)})["retry"]
    return {outcome: RetryRule(**rule) for outcome, rule in rules.items()}


class CampaignSettings(_Model):
    timezone: str = Field(default=defaults.TIMEZONE, min_length=1, max_length=MAX_TIMEZONE_LENGTH)
    days: list[str] = Field(default_factory=lambda: list(defaults.DAYS))
    hours: list[HourRange] = Field(
        default_factory=lambda: [HourRange(start=start, end=end) for start, end in defaults.HOURS],
        min_length=1,
        max_length=MAX_HOUR_RANGES,
    )
    start_date: date | None = None
    end_date: date | None = None
    max_concurrent: int = Field(default=defaults.MAX_CONCURRENT, ge=1, le=2000)
    calls_per_second: float = Field(default=defaults.CALLS_PER_SECOND, gt=0, le=200)
    ring_timeout: float = Field(default=defaults.RING_TIMEOUT, ge=1, le=300)
    max_duration: float = Field(default=float(defaults.MAX_DURATION), ge=5, le=4 * 3600)
    allow_duplicate_phone: bool = defaults.ALLOW_DUPLICATE_PHONE
    pool_hotline_key: str = Field(default=defaults.POOL_HOTLINE_KEY, min_length=1, max_length=100)
    hotline_selection: Literal["RANDOM", "ROUND_ROBIN", "LEAST_BUSY"] = defaults.CALL_ROUTING
    retry: dict[str, RetryRule] = Field(default_factory=_default_retry)
    record: bool = defaults.RECORD
    # Complete once every contact is final and nothing has changed for `quiet_period` seconds
    # (the dialer's pass, dialer.claims); false: stay open for new contacts (defaults says why).
    complete_when_done: bool = defaults.COMPLETE_WHEN_DONE
    quiet_period: int = Field(default=defaults.QUIET_PERIOD, ge=0, le=7 * 86400)  # seconds
    # Decree 91/2020/ND-CP Art. 13: `advertising` adds its hours to the window (cl. 6), one call
    # per number per `advertising_interval` across the account (cl. 5), and a registered pool.
    policy: Literal["service", "advertising"] = defaults.POLICY
    advertising_start: time = defaults.ADVERTISING_START
    advertising_end: time = defaults.ADVERTISING_END
    advertising_timezone: str = Field(
        default=defaults.ADVERTISING_TIMEZONE, min_length=1, max_length=MAX_TIMEZONE_LENGTH
    )
    advertising_interval: int = Field(default=defaults.ADVERTISING_INTERVAL, ge=0, le=31 * 86400)  # seconds
    # Quiet days: the public holidays of a country (`VN`: Tết, Hùng Kings, their observed days),
    # and dates of the campaign's own; the window stays closed all day on them.
    exclude_holidays: str | None = Field(default=defaults.EXCLUDE_HOLIDAYS, min_length=2, max_length=2)
    excluded_dates: list[date] = Field(default_factory=list, max_length=MAX_EXCLUDED_DATES)
    # Answering-machine detection on answered calls (dialer/amd_screen.py, docs/campaigns.md):
    # `sync` starts the scenario once the callee is judged a person (or undecided); `async`
    # starts at once and stops if a machine answered. A machine ends the attempt `voicemail`,
    # after leaving the scenario's PLAY_MESSAGE action `voicemail_message_action_id` when
    # `voicemail_action` is `leave_message`.
    amd: bool = defaults.AMD
    amd_mode: Literal["sync", "async"] = defaults.AMD_MODE
    voicemail_action: Literal["hangup", "leave_message"] = defaults.VOICEMAIL_ACTION
    voicemail_message_action_id: str | None = Field(default=None, min_length=1, max_length=64)

    @field_validator("timezone", "advertising_timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        # Looked up in the IANA list, never opened as a file named by the client (a long or
        # odd name made ZoneInfo raise OSError: a 500).
        if value not in _timezones():
            raise ValueError(f"unknown time zone {value!r}: use an IANA name such as Asia/Ho_Chi_Minh")
        return value

    @field_validator("exclude_holidays")
    @classmethod
    def _known_country(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.upper()
        if not is_supported(value):
            raise ValueError(f"no public holidays known for {value!r}: use a country code such as VN")
        return value

    @field_validator("days", mode="before")
    @classmethod
    def _day_names(cls, value: Any) -> Any:
        if not isinstance(value, list):
            return value
        names = []
        for day in value:
            if isinstance(day, int) and not isinstance(day, bool) and 0 <= day <= 6:
                names.append(DAY_NAMES[day])
            elif isinstance(day, str) and day[:3].lower() in DAY_NAMES:
                names.append(day[:3].lower())
            else:
                raise ValueError(f"unknown day {day!r}: use mon..sun or 0 (Monday)..6")
        if not names:
            raise ValueError("days must name at least one day")
        if len(names) > len(DAY_NAMES):
            raise ValueError(f"days names at most {len(DAY_NAMES)} days, not {len(names)}")
        return names

    @field_validator("retry")
    @classmethod
    def _retry_outcomes(cls, value: dict[str, RetryRule]) -> dict[str, RetryRule]:
        allowed = {o.value for o in RETRYABLE}
        unknown = set(value) - allowed
        if unknown:
            raise ValueError(f"retry: unknown outcome {sorted(unknown)[0]!r}; use {sorted(allowed)}")
        return value

    @model_validator(mode="after")
    def _dates_ordered(self) -> CampaignSettings:
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValueError("end_date is before start_date")
        if self.advertising_end <= self.advertising_start:
            raise ValueError("advertising_end is not after advertising_start")
        if self.voicemail_action == "leave_message" and not self.voicemail_message_action_id:
            raise ValueError(
                "voicemail_action leave_message needs voicemail_message_action_id: the id of the "
                "scenario's PLAY_MESSAGE action to leave"
            )
        return self

    @property
    def advertising(self) -> bool:
        """True under the advertising policy (Decree 91/2020/ND-CP Art. 13 applies in full)."""
        return self.policy == "advertising"

    def to_public(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


# Asked of the effective settings when a campaign is created or its `amd`/`voicemail_action` is
# written, not by the model: stored settings are validated on every dialler pass
# (`effective`), and a campaign saved before this rule must stay readable (it hangs up on
# machines it never detects, as it always did). CONTRACT.md names neither field; both default
# off (`amd` false, `voicemail_action` hangup), so a client that sends neither is never refused.
VOICEMAIL_NEEDS_AMD = (
    "voicemail_action leave_message needs amd true: without answering-machine detection no call "
    "is known to reach a voicemail, so the message would never be left"
)
VOICEMAIL_NEEDS_AMD_FIELDS = frozenset({"amd", "voicemail_action", "voicemail_message_action_id"})


def voicemail_needs_amd(settings: CampaignSettings) -> str | None:
    """Why the settings ask for something that can never happen, or None: a voicemail message
    (`voicemail_action` leave_message) with answering-machine detection off (`amd` false), the
    only thing that tells a voicemail from a person (dialer.amd_screen)."""
    if settings.voicemail_action == "leave_message" and not settings.amd:
        return VOICEMAIL_NEEDS_AMD
    return None


def voicemail_message_problem(settings: CampaignSettings, actions: dict[str, str]) -> str | None:
    """Why the campaign's voicemail message cannot be left, or None. `actions`: the scenario's
    action ids and their types. The message is an action of the campaign's scenario, of type
    PLAY_MESSAGE (a prompt that plays to its end and asks nothing: a machine presses no key).
    Checked only when a message is to be left."""
    if settings.voicemail_action != "leave_message" or settings.voicemail_message_action_id is None:
        return None
    kind = actions.get(settings.voicemail_message_action_id)
    if kind is None:
        return f"the scenario has no action {settings.voicemail_message_action_id!r}"
    if kind != "PLAY_MESSAGE":
        return (
            f"action {settings.voicemail_message_action_id!r} is a {kind}: "
            "the voicemail message must be a PLAY_MESSAGE"
        )
    return None


def from_call_config(call_config: dict[str, Any] | None) -> dict[str, Any]:
    """The scenario's `call_config` (CONTRACT §3) as campaign settings.

    `re_call.delay` is in minutes (as AICall's scenario editor shows it); `re_call.times`
    re-calls apply to each outcome whose flag is set.
    """
    if not call_config:
        return {}
    out: dict[str, Any] = {}
    for key in ("max_concurrent", "max_duration", "allow_duplicate_phone", "pool_hotline_key"):
        if call_config.get(key) is not None:
            out[key] = call_config[key]
    routing = call_config.get("call_routing")
    if routing in ("RANDOM", "ROUND_ROBIN", "LEAST_BUSY"):
        out["hotline_selection"] = routing
    re_call = call_config.get("re_call")
    if isinstance(re_call, dict):
        times = int(re_call.get("times") or 0)
        interval = int(float(re_call.get("delay") or 0) * 60)
        flags = {
            CallOutcome.BUSY.value: re_call.get("is_busy"),
            CallOutcome.FAILED.value: re_call.get("is_failed"),
            CallOutcome.NO_ANSWER.value: re_call.get("is_no_answer"),
            CallOutcome.VOICEMAIL.value: re_call.get("is_voice_mail"),
        }
        out["retry"] = {
            outcome: {"max_attempts": times if flag else 0, "interval": interval}
            for outcome, flag in flags.items()
        }
    return out


def effective(
    overrides: dict[str, Any] | None, call_config: dict[str, Any] | None = None
) -> CampaignSettings:
    """Validated settings of a campaign: its overrides on top of its scenario's defaults.

    `retry` is merged by outcome, and each outcome's rule by field: a campaign that sets
    `retry.busy.max_attempts` changes busy's re-calls and nothing else (it replaced the
    scenario's whole map once, so every other outcome silently stopped being re-called).
    """
    base = from_call_config(call_config)
    own = dict(overrides or {})
    if isinstance(own.get("retry"), dict):
        inherited = base.get("retry") or {
            outcome: rule.model_dump() for outcome, rule in _default_retry().items()
        }
        own["retry"] = _merge_retry(inherited, own["retry"])
    return CampaignSettings.model_validate({**base, **own})


_RULE_FIELDS = {field.alias or name: name for name, field in RetryRule.model_fields.items()}


def _merge_retry(inherited: dict[str, Any], own: dict[str, Any]) -> dict[str, Any]:
    merged = {outcome: dict(rule) for outcome, rule in inherited.items()}
    for outcome, rule in own.items():
        if isinstance(rule, dict) and isinstance(merged.get(outcome), dict):
            # camelCase or snake_case, as the campaign wrote it; anything else is left for
            # validation to name.
            merged[outcome] |= {_RULE_FIELDS.get(key, key): value for key, value in rule.items()}
        else:
            merged[outcome] = rule
    return merged
