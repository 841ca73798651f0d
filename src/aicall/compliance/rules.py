"""The vocabulary of compliance: why a contact was refused or held, by which rule, who listed a
number. Stored as text on contacts and audit entries, sent in webhooks: values never change."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

__all__ = ["DECREE_91", "AuditType", "DncSource", "Reason", "Rule", "describe"]

DECREE_91 = "Decree 91/2020/ND-CP, Art. 13"


class DncSource(StrEnum):
    """Who put a number on an account's Do-Not-Call list."""

    API = "api"
    DASHBOARD = "dashboard"
    IMPORT = "import"  # a file loaded by `aicall dnc import` or the bulk API
    OPT_OUT = "opt_out"  # the callee pressed the scenario's opt-out key during a call
    NATIONAL_REGISTER = "national_register"  # the national list ("Danh sách không quảng cáo")


class Reason(StrEnum):
    """Why a contact was refused, stopped or held back (`compliance_reason` of a contact)."""

    DO_NOT_CALL = "do_not_call"  # the number is on the account's Do-Not-Call list
    OPT_OUT = "opt_out"  # the callee refused during the call: the number was listed then
    FREQUENCY_LIMIT = "frequency_limit"  # an advertising call reached the number too recently


class Rule(StrEnum):
    """Which rule decided, each with the clause of Decree 91/2020/ND-CP Art. 13 it carries out."""

    DO_NOT_CALL_LIST = "do_not_call_list"  # cl. 1: not to numbers on the Do-Not-Call register
    STOP_ON_REFUSAL = "stop_on_refusal"  # cl. 4: stop at once when the callee refuses
    ADVERTISING_FREQUENCY = "advertising_frequency"  # cl. 5: one advertising call per number per 24 h
    ADVERTISING_HOURS = "advertising_hours"  # cl. 6: advertising calls 08:00-17:00 only
    REGISTERED_CALLER = "registered_caller"  # advertising calls from a registered brand-name number
    HOLIDAY = "holiday"  # the campaign's own choice: no calls on public holidays or its extra dates

    @property
    def citation(self) -> str:
        """Where the rule comes from, for people (API answers, the audit log, docs)."""
        return _CITATIONS[self]


_CITATIONS = {
    Rule.DO_NOT_CALL_LIST: f"{DECREE_91}, cl. 1",
    Rule.STOP_ON_REFUSAL: f"{DECREE_91}, cl. 4",
    Rule.ADVERTISING_FREQUENCY: f"{DECREE_91}, cl. 5",
    Rule.ADVERTISING_HOURS: f"{DECREE_91}, cl. 6",
    Rule.REGISTERED_CALLER: "Decree 91/2020/ND-CP (brand-name numbers for advertising)",
    Rule.HOLIDAY: "campaign setting exclude_holidays / excluded_dates",
}


class AuditType(StrEnum):
    """What an audit entry records (`GET /audit?type=`)."""

    DO_NOT_CALL = "do_not_call"  # a contact refused at import, stopped, or skipped at the claim
    OPT_OUT = "opt_out"  # a callee refused during a call
    FREQUENCY_LIMIT = "frequency_limit"  # a contact held back by the 24-hour rule
    DNC_CHANGE = "dnc_change"  # numbers added to or removed from the list (by whom)
    START_REFUSED = "start_refused"  # a campaign the policy did not let start


def describe(reason: str | None, rule: str | None, until: datetime | None = None) -> dict[str, Any] | None:
    """A contact's `compliance` field in the API and its webhooks: the reason, the rule and its
    citation, and the end of a hold; None when no rule touched the contact."""
    if reason is None:
        return None
    try:
        citation = Rule(rule).citation if rule else None
    except ValueError:
        citation = None
    return {
        "reason": reason,
        "rule": rule,
        "citation": citation,
        "until": until.isoformat() if until else None,
    }
