"""Calling within the law: Do-Not-Call lists, call policies and the audit trail.

Decree 91/2020/ND-CP on spam, Art. 13 (principles of advertising messages, emails and calls):
no advertising call to a number on the Do-Not-Call register or without the callee's consent
(cl. 1), stop at once when the callee refuses (cl. 4), at most one advertising call per number
per 24 hours (cl. 5), and only between 08:00 and 17:00 (cl. 6), unless otherwise agreed with
the callee. docs/compliance.md says what the platform enforces and what stays the customer's.

This package owns the Do-Not-Call entries (`dnc`), the advertising-call log (`gate`) and the
audit log (`audit`); contact import and the dialer's claim ask it, the result store appends
opt-outs through it.
"""
