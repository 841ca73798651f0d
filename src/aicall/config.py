"""Settings from the environment (all prefixed `AICALL_`), read once."""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import phonenumbers
from pydantic import Field, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_LOG_LEVELS = ("debug", "info", "warning", "error", "critical")
# What AICALL_TTS_ENGINE and AICALL_ASR_ENGINE may name (docs/speech.md); speech.selection and
# speech.asr_http build them (tests hold the lists equal). `silent` is `none`'s engine (silence
# of each prompt's length); `tone`, a pitch per text, is for tests and demos.
TTS_ENGINES = ("espeak", "openai", "none", "silent", "tone")
ASR_ENGINES = ("openai", "fpt", "echo", "none")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="AICALL_", extra="ignore")

    data_dir: Path = Path("var")
    database_url: str = ""  # empty: an SQLite file in data_dir
    # SQLite's durability (db.engine): `full` survives power cuts and a disk that fails, at an
    # fsync per commit; `normal` survives crashes of aicall itself (docs/reliability.md).
    sqlite_synchronous: Literal["normal", "full"] = "normal"
    secret_key: str = ""  # empty: generated once into data_dir/secret.key (0600)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)  # a TCP port: bind() refuses anything else
    public_url: str = ""  # how customers reach us, for links (audio, recordings); default http://host:port
    # Import limits (documented in the README).
    max_contacts_per_request: int = Field(default=10_000, ge=1)
    max_body_bytes: int = Field(default=8 * 1024 * 1024, ge=1024)
    # Contact files (CSV/XLSX) uploaded or imported from the CLI: their own limits, because a
    # 50,000-row list is larger than a JSON request should be, yet is read as a stream.
    max_upload_bytes: int = Field(default=32 * 1024 * 1024, ge=1024)
    max_import_rows: int = Field(default=200_000, ge=1)
    default_region: str = "VN"
    # Public API requests per second per application (burst twice that); 0 turns it off.
    rate_limit_per_second: float = Field(default=500.0, ge=0)
    # Failed authentications per client address per minute (a burst of as many); past it 429.
    # Makes guessing API keys slow; 0 turns it off.
    auth_failures_per_minute: int = Field(default=60, ge=0)
    # Engine.
    run_engine: bool = True  # `aicall serve` runs the dialer and the webhook dispatcher in-process
    # Pools without a trunk dial the simulator (`sim`); with `sip` they are refused, so a
    # production install can never "call" a customer on the simulator by mistake.
    telephony: Literal["sim", "sip"] = "sim"
    sim_time_scale: float = Field(default=1.0, ge=0, allow_inf_nan=False)  # 0: calls take no time
    sim_rules: Path | None = None
    recording_retention_days: float = 30.0  # 0 keeps recordings forever
    # Housekeeping (aicall.housekeeping, docs/reliability.md): each at 0 turns its part off.
    housekeeping_every: float = Field(default=3600.0, gt=0)  # seconds between passes
    webhook_retention_days: float = Field(default=30.0, ge=0)  # delivery logs, events no longer pending
    idempotency_ttl_hours: float = Field(default=24.0, ge=0)  # stored Idempotency-Key answers
    audio_cache_mb: float = Field(default=1024.0, ge=0)  # synthesised audio on disk (LRU)
    archive_after_days: float = Field(default=0.0, ge=0)  # closed campaigns archived (0: by hand only)
    dialer_tick: float = Field(default=0.5, gt=0, le=60)  # seconds between scheduler passes
    # Most calls one dialer process holds at once (0: no cap but the campaigns' and lines'). A
    # process past what its cores can carry delays every call's audio; docs/deploy.md gives the
    # figures (SIP with answering-machine detection: about 400 calls fill a core).
    dialer_max_calls: int = Field(default=0, ge=0)
    dialer_heartbeat: float = Field(default=2.0, gt=0, le=600)  # seconds between a dialer's heartbeats
    # A dialer silent this long is dead: its calls are reconciled. At least 3 heartbeats (see
    # _stale_after_heartbeats): a live dialer whose beat is late must not lose its calls.
    dialer_stale_after: float = Field(default=10.0, gt=0, le=3600)
    # Seconds calls in progress may go on after SIGTERM/SIGINT before they are hung up (a
    # second signal ends it at once); docs/reliability.md, docs/deploy.md (TimeoutStopSec).
    shutdown_grace: float = Field(default=30.0, ge=0, le=86_400)
    webhook_allow_private: bool = False
    # PostgreSQL: commits of webhook events NOTIFY, and each dispatcher LISTENs on one more
    # connection, so another process's events leave at once, not at the next poll
    # (docs/webhooks.md). Off: polling only (e.g. behind a transaction-pooling PgBouncer).
    pg_notify: bool = True
    # SIP trunks on loopback or private addresses (RFC 1918, link-local...) are refused like
    # webhook URLs, so a customer cannot aim a running campaign into the operator's network.
    # Real trunks often sit on private links: an operator who runs such one sets this.
    sip_allow_private: bool = False
    # SIP: the address our user agent binds and puts in Via/Contact/SDP. A real trunk must
    # reach it: set it to this host's address on the trunk's network.
    sip_host: str = "127.0.0.1"
    sip_port: int = Field(default=0, ge=0, le=65535)  # 0: any free port
    sip_advertised_host: str = ""  # behind NAT: the address the trunk sees
    # RTP to where the far end's RTP comes from (NAT, RFC 4961); false: to its SDP address
    sip_symmetric_rtp: bool = True
    rtp_port_min: int = Field(default=20000, ge=1024, le=65535)
    rtp_port_max: int = Field(default=40000, ge=1024, le=65535)
    tts_engine: str = "espeak"  # espeak | openai | none
    # Speech recognition for menus that listen (docs/speech.md): openai (any OpenAI-compatible
    # /v1/audio/transcriptions server), fpt (FPT.AI), echo (hears the simulator's phones only:
    # nothing leaves the machine) or none (speech counts as silence).
    asr_engine: str = "echo"
    # Checked even when unset (validate_default): the engine named above may need them.
    asr_base_url: str = Field(default="", validate_default=True)
    asr_api_key: str = Field(default="", validate_default=True)
    asr_timeout: float = Field(default=10.0, gt=0, le=60)  # seconds; slower is "heard nothing"
    tts_base_url: str = ""
    tts_api_key: str = ""
    # Vietnamese vendors' neural voices (docs/speech.md): the platform's credentials; an
    # account's own (`aicall voice set-credentials`) override them. AICall voice codes are Vbee's.
    vbee_tts_url: str = "https://vbee.vn/api/v1/tts"
    vbee_app_id: str = ""
    vbee_token: str = ""
    fpt_tts_url: str = "https://api.fpt.ai/hmi/tts/v5"
    fpt_api_key: str = ""
    # Observability (docs/observability.md).
    log_format: Literal["console", "json"] = "console"
    log_level: str = "info"
    log_show_phones: bool = False  # full phone numbers in logs, for debugging only
    # `aicall worker` serves GET /metrics on this port (0: none); the API serves it on its own.
    metrics_port: int = Field(default=0, ge=0, le=65535)

    @field_validator("sim_rules")
    @classmethod
    def _rules_file_exists(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError("no such file (a TOML file of simulated phones, docs/simulator.md)")
        return value

    @field_validator("dialer_stale_after")
    @classmethod
    def _stale_after_heartbeats(cls, value: float, info: ValidationInfo) -> float:
        # A dialer declared dead while it lives has its live calls closed as crashed, and
        # its contacts dialled again while the first call goes on (found by a trial at 4/2).
        heartbeat = info.data.get("dialer_heartbeat")
        if heartbeat is not None and value < 3 * heartbeat:
            raise ValueError(
                f"must be at least 3 x AICALL_DIALER_HEARTBEAT ({3 * heartbeat:g} s): a live dialer "
                "whose heartbeat is late would be taken for dead and its calls made again"
            )
        return value

    @field_validator("rtp_port_max")
    @classmethod
    def _rtp_range(cls, value: int, info: ValidationInfo) -> int:
        low = info.data.get("rtp_port_min")
        if low is not None and value <= low:
            raise ValueError(f"must be above AICALL_RTP_PORT_MIN ({low})")
        return value

    @field_validator("tts_engine", "asr_engine")
    @classmethod
    def _known_engine(cls, value: str, info: ValidationInfo) -> str:
        # An unknown one ended `serve` and `worker` in a traceback as their engine started.
        known = TTS_ENGINES if info.field_name == "tts_engine" else ASR_ENGINES
        choice = value.strip().lower()
        if choice and choice not in known:  # empty: the default behaviour (espeak; no recogniser)
            raise ValueError(f"unknown engine; use one of {', '.join(known)}")
        return choice

    @field_validator("asr_base_url")
    @classmethod
    def _asr_url_given(cls, value: str, info: ValidationInfo) -> str:
        if not value and info.data.get("asr_engine") == "openai":
            raise ValueError("AICALL_ASR_ENGINE=openai needs AICALL_ASR_BASE_URL (the server's root URL)")
        return value

    @field_validator("asr_api_key")
    @classmethod
    def _asr_key_given(cls, value: str, info: ValidationInfo) -> str:
        if not value and info.data.get("asr_engine") == "fpt":
            raise ValueError("AICALL_ASR_ENGINE=fpt needs AICALL_ASR_API_KEY (FPT.AI's api_key)")
        return value

    @field_validator("public_url")
    @classmethod
    def _absolute_http_url(cls, value: str) -> str:
        # Links (audio, recordings, `token --export`'s BASE) are built on it: `notaurl` was
        # printed as BASE=notaurl and every link built from it was broken.
        url = value.strip()
        if not url:
            return url
        try:
            parts = urlsplit(url)
            parts.port  # noqa: B018 - reading it checks the port (ValueError when out of range)
        except ValueError as exc:
            raise ValueError(f"not a URL ({exc})") from None
        if (
            parts.scheme.lower() not in ("http", "https")
            or not parts.hostname
            or parts.query
            or parts.fragment
            or any(char.isspace() or ord(char) < 32 for char in url)
        ):
            raise ValueError(
                "must be an absolute http(s) URL, e.g. https://calls.example.com "
                "(no spaces, query or fragment)"
            )
        return url

    @field_validator("default_region")
    @classmethod
    def _known_region(cls, value: str) -> str:
        # An unknown one made every number without a country code "not a valid phone number".
        region = value.strip().upper()
        if region not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(
                "not a region the phone-number library knows; use a two-letter country code (ISO 3166-1), "
                "e.g. VN, US, GB"
            )
        return region

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        if value.lower() not in _LOG_LEVELS:
            raise ValueError(f"unknown level; use one of {', '.join(_LOG_LEVELS)}")
        return value.lower()

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'aicall.db').as_posix()}"

    @property
    def base_url(self) -> str:
        return self.public_url.rstrip("/") or f"http://{self.host}:{self.port}"

    @property
    def client_url(self) -> str:
        """The API's root for a client on this machine (`aicall token --export`'s BASE):
        AICALL_PUBLIC_URL when set; else where a running `aicall serve` of this data_dir listens
        (it records its --host/--port, `record_serving`); else AICALL_HOST:AICALL_PORT. A
        wildcard listening address (0.0.0.0, ::) is reached on the loopback."""
        if self.public_url:
            return self.public_url.rstrip("/")
        try:
            pid_text, url = (self.data_dir / SERVING_FILE).read_text().split(maxsplit=1)
            if _running(int(pid_text)):
                return url.strip()
        except (OSError, ValueError):
            pass  # no server recorded (or an unreadable record): the settings say where
        return _reachable(self.host, self.port)

    def record_serving(self) -> None:
        """Write where this process's API listens (`<pid> <url>`) for `client_url`;
        `forget_serving` removes it when it stops (a crashed server's is ignored: its pid no
        longer runs). With several servers on one data_dir, the last started is recorded."""
        (self.data_dir / SERVING_FILE).write_text(f"{os.getpid()} {_reachable(self.host, self.port)}\n")

    def forget_serving(self) -> None:
        """Remove this process's record, not another server's written since."""
        path = self.data_dir / SERVING_FILE
        try:
            if path.read_text().split()[:1] == [str(os.getpid())]:
                path.unlink()
        except OSError:
            pass  # already gone

    def ensure_secret_key(self) -> str:
        """The key that encrypts application secrets at rest; generated on first use."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret.key"
        if path.exists():
            return path.read_text().strip()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(32)
        # O_EXCL: two processes starting together must not each write a different key.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_text().strip()
        with os.fdopen(fd, "w") as handle:
            handle.write(key + "\n")
            # On disk before anything is sealed with it: a crash or a failed filesystem must not
            # leave a database of secrets and an empty key file (the read-only fault test did).
            handle.flush()
            os.fsync(handle.fileno())
        directory = os.open(self.data_dir, os.O_RDONLY)
        try:
            os.fsync(directory)  # the file's name too
        finally:
            os.close(directory)
        return key


SERVING_FILE = "serving"  # in data_dir: `<pid> <url>` of a running `aicall serve`


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the process exists
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, run by another user
    return True


def _reachable(host: str, port: int) -> str:
    # A server listening on every address is reached on the loopback; IPv6 literals in brackets.
    host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
