"""Virtual phones: a telephony backend that needs no network, for the demo, tests and load tests."""

from aicall.telephony.sim.backend import SimBackend
from aicall.telephony.sim.behaviour import PhoneBehaviour, default_behaviour
from aicall.telephony.sim.rules import SimRule, SimRules, SimRulesError
from aicall.telephony.sim.session import SimCallSession

__all__ = [
    "PhoneBehaviour",
    "SimBackend",
    "SimCallSession",
    "SimRule",
    "SimRules",
    "SimRulesError",
    "default_behaviour",
]
