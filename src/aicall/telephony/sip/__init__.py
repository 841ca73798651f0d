"""The `sip` telephony backend: real calls through a SIP trunk (aiosipua + aiortp, with
our UDP transactions, one RTP clock for all calls, and recording). See docs/sip.md."""

from aicall.telephony.sip.backend import SipBackend, SipError
from aicall.telephony.sip.outcomes import outcome_for_status, outcome_table
from aicall.telephony.sip.session import SipCallSession
from aicall.telephony.sip.transactions import SipTimers

__all__ = ["SipBackend", "SipCallSession", "SipError", "SipTimers", "outcome_for_status", "outcome_table"]
