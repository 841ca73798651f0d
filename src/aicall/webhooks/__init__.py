"""Webhooks: the transactional outbox, Standard Webhooks signing, and the dispatcher that
delivers every event at least once (docs/webhooks.md).

Emitters call `outbox.emit(session, ...)` inside their own transaction; `aicall serve` and
`aicall worker` run a `dispatcher.Dispatcher`.
"""
