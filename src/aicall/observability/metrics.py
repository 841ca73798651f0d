"""Prometheus metrics: what the engine does (counted where it happens, per process) and what the
database holds (read when Prometheus scrapes).

Multi-process: one registry per process, no shared files. Each process that dials or delivers
counts its own work; Prometheus scrapes every process and `sum()` adds them up:

* `aicall serve` answers `GET /metrics` on its API port: its own counters (and, in embedded
  mode, its engine's) plus the platform state read from the database (`PlatformState`);
* `aicall worker` serves its counters on `AICALL_METRICS_PORT` (0: none).

The database gauges (contacts waiting, webhook backlog, campaigns, balances) are the same from
every API process: aggregate them with `max()`, not `sum()`. docs/observability.md lists every
metric, the Grafana dashboard and the alert rules.

Units are in the names: `_seconds`, `_vnd`; counters end in `_total` when exported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    start_http_server,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

__all__ = [
    "ANSWER_TO_FIRST_AUDIO",
    "CALLS_FINISHED",
    "CALLS_IN_PROGRESS",
    "CALLS_STARTED",
    "CAMPAIGN_PAUSES",
    "CLAIM_SECONDS",
    "CONTENT_TYPE",
    "RTP_SEND_INTERVAL",
    "SIP_RESPONSES",
    "TTS_CACHE",
    "TTS_SYNTHESIS_SECONDS",
    "WEBHOOK_DELIVERIES",
    "WEBHOOK_DELIVERY_SECONDS",
    "ListenError",
    "PlatformState",
    "StateCollector",
    "call_finished",
    "render",
    "serve",
    "webhook_delivered",
]

CONTENT_TYPE = CONTENT_TYPE_LATEST

# --- calls (the dialer) ---------------------------------------------------------------------

CALLS_STARTED = Counter("aicall_calls_started", "Calls handed to a call task (dial rate: rate() of it).")
CALLS_FINISHED = Counter("aicall_calls_finished", "Calls ended, by outcome.", ["outcome"])
CALLS_IN_PROGRESS = Gauge("aicall_calls_in_progress", "Calls in flight in this process.")
ANSWER_TO_FIRST_AUDIO = Histogram(
    "aicall_answer_to_first_audio_seconds",
    "From the callee's answer to the first prompt's audio starting (rendering and TTS included).",
    buckets=(0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0),
)
CLAIM_SECONDS = Histogram(
    "aicall_claim_seconds",
    "One scheduling pass's claim transaction: limits checked, balance reserved, attempts created.",
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
CAMPAIGN_PAUSES = Counter(
    "aicall_campaign_pauses",
    "Campaigns paused, by reason (insufficient_balance: the balance pauses).",
    ["reason"],
)
SIP_RESPONSES = Counter(
    "aicall_sip_final_responses", "Final SIP responses to our INVITEs, by status code.", ["code"]
)
RTP_SEND_INTERVAL = Histogram(
    "aicall_rtp_send_interval_seconds",
    "Gap between two ticks of the media clock, which sends one 20 ms frame on every stream.",
    buckets=(0.015, 0.018, 0.019, 0.0195, 0.02, 0.0205, 0.021, 0.022, 0.025, 0.03, 0.04, 0.06, 0.1),
)

# --- speech ---------------------------------------------------------------------------------

TTS_CACHE = Counter(
    "aicall_tts_cache_lookups", "Prompt pieces looked up in the audio cache: hit or miss.", ["result"]
)
TTS_SYNTHESIS_SECONDS = Histogram(
    "aicall_tts_synthesis_seconds",
    "Time to synthesise one prompt piece (a cache miss), by engine.",
    ["engine"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0),
)

# --- webhooks -------------------------------------------------------------------------------

WEBHOOK_DELIVERIES = Counter(
    "aicall_webhook_deliveries", "Webhook delivery attempts, by result (succeeded or failed).", ["result"]
)
WEBHOOK_DELIVERY_SECONDS = Histogram(
    "aicall_webhook_delivery_seconds",
    "One delivery attempt: request sent to answer read (or the failure).",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)


def call_finished(*, outcome: str, sip_code: int | None, first_audio_seconds: float | None) -> None:
    """Count one call's end: its outcome, its SIP final response, its answer-to-audio delay."""
    CALLS_FINISHED.labels(outcome=outcome).inc()
    if sip_code is not None:
        SIP_RESPONSES.labels(code=str(sip_code)).inc()
    if first_audio_seconds is not None:
        ANSWER_TO_FIRST_AUDIO.observe(max(0.0, first_audio_seconds))


def webhook_delivered(*, succeeded: bool, latency_ms: int | None) -> None:
    """Count one delivery attempt and how long it took."""
    WEBHOOK_DELIVERIES.labels(result="succeeded" if succeeded else "failed").inc()
    if latency_ms is not None:
        WEBHOOK_DELIVERY_SECONDS.observe(latency_ms / 1000)


# --- the platform's state, read at scrape time ----------------------------------------------


@dataclass(frozen=True, slots=True)
class PlatformState:
    """What the database holds now. `contacts_waiting`: reason -> contacts (`ready`: may be
    dialled now); `campaigns`: status -> campaigns; `balances_vnd`: account -> available balance
    (accounts with a running campaign); webhook backlog: events not yet delivered, the oldest's age."""

    contacts_waiting: Mapping[str, int] = field(default_factory=dict)
    campaigns: Mapping[str, int] = field(default_factory=dict)
    webhook_backlog: int = 0
    webhook_oldest_pending_seconds: float = 0.0
    balances_vnd: Mapping[str, int] = field(default_factory=dict)


class StateCollector(Collector):
    """Exports a `PlatformState` read by `read` on every scrape (the API process registers one)."""

    def __init__(self, read: Callable[[], PlatformState]) -> None:
        self._read = read

    def collect(self) -> Iterator[Metric]:
        state = self._read()
        waiting = GaugeMetricFamily(
            "aicall_contacts_waiting", "Contacts not yet final, by why they wait.", labels=["reason"]
        )
        for reason, count in sorted(state.contacts_waiting.items()):
            waiting.add_metric([reason], count)
        yield waiting
        campaigns = GaugeMetricFamily("aicall_campaigns", "Campaigns by status.", labels=["status"])
        for status, count in sorted(state.campaigns.items()):
            campaigns.add_metric([status], count)
        yield campaigns
        yield GaugeMetricFamily(
            "aicall_webhook_backlog", "Webhook events waiting to be delivered.", value=state.webhook_backlog
        )
        yield GaugeMetricFamily(
            "aicall_webhook_oldest_pending_seconds",
            "Age of the oldest webhook event not yet delivered (0: none).",
            value=state.webhook_oldest_pending_seconds,
        )
        balances = GaugeMetricFamily(
            "aicall_account_balance_available_vnd",
            "Balance less what calls in flight hold, of accounts with a running campaign (whole đồng).",
            labels=["account_id"],
        )
        for account_id, amount in sorted(state.balances_vnd.items()):
            balances.add_metric([account_id], amount)
        yield balances

    def describe(self) -> Iterator[Metric]:
        return iter(())  # read only when scraped, never at registration


def render(extra: CollectorRegistry | None = None) -> bytes:
    """The text exposition of this process's metrics, then those of `extra` (the state)."""
    body = generate_latest(REGISTRY)
    return body + generate_latest(extra) if extra is not None else body


class ListenError(Exception):
    """The metrics endpoint cannot listen where it was told; the message says where and why."""


def serve(port: int, host: str = "127.0.0.1") -> None:
    """Serve this process's metrics on `http://host:port/metrics` (a daemon thread).

    The port is bound before this returns, so a caller that serves first learns of a port
    already taken (ListenError) before its engine claims any call."""
    try:
        start_http_server(port, addr=host)
    except OSError as exc:  # in use, no such address (gaierror is an OSError too)
        raise ListenError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
