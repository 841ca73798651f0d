"""TLS is not ours to speak: kamailio is the TLS edge in front of us (docs/sip.md). The edge's
config, `kamailio/tls-edge.cfg`, carries a call from our UDP to a carrier that takes TLS only;
a transport neither covers is refused. Issue 15, fault 5."""

from __future__ import annotations

import asyncio
import datetime
import ipaddress
import os
import ssl
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiosipua import SipMessage, SipRequest, SipResponse
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from aicall.calls.outcomes import CallOutcome, EndReason
from aicall.telephony.session import TrunkConfig
from aicall.telephony.sip import SipBackend
from aicall.telephony.sip.transports import read_message

from .conftest import dial_request
from .peers import Kamailio, free_port, kamailio_modules, sdp_body

TLS_EDGE_CFG = Path(__file__).parent / "kamailio" / "tls-edge.cfg"


def self_signed(directory: Path, name: str) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (name and IP SAN) and its key, as PEM files."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / f"{name}-cert.pem", directory / f"{name}-key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


@dataclass
class TlsCarrier:
    """A carrier that takes SIP over TLS only: answers INVITE 200 (PCMU), takes ACK, answers BYE."""

    cert: Path
    key: Path
    port: int = 0
    received: list[tuple[str, str]] = field(default_factory=list)  # (method, TLS version)
    _server: asyncio.Server | None = None
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    async def start(self) -> None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert, self.key)
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=context)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        version = str(writer.get_extra_info("ssl_object").version())
        while (data := await read_message(reader, writer)) is not None:
            request = SipMessage.parse(data)
            if not isinstance(request, SipRequest):
                continue
            self.received.append((request.method, version))
            self._arrived.set()
            if request.method == "INVITE":
                writer.write(bytes(self._reply(request, 200, sdp_body(9))))
            elif request.method == "BYE":
                writer.write(bytes(self._reply(request, 200)))

    def _reply(self, request: SipRequest, status: int, sdp: str = "") -> SipResponse:
        response = SipResponse(status_code=status, reason_phrase="OK")
        for via in request.headers.get("via"):
            response.headers.append("Via", via)
        for name in ("From", "Call-ID", "CSeq"):
            response.headers.set_single(name, request.headers.get_first(name) or "")
        to = request.headers.get_first("to") or ""
        response.headers.set_single("To", to if "tag=" in to else f"{to};tag=carrier")
        for route in request.headers.get("record-route"):
            response.headers.append("Record-Route", route)
        response.headers.set_single("Contact", f"<sip:carrier@127.0.0.1:{self.port};transport=tls>")
        if sdp:
            response.headers.set_single("Content-Type", "application/sdp")
            response.text = sdp
        return response

    async def wait_for(self, *methods: str, timeout: float = 5.0) -> None:
        """Return once every one of `methods` has arrived, or after `timeout` seconds (the caller's
        assertion then says what is missing). The edge's worker processes may pass an ACK after the
        BYE sent just behind it, so a BYE alone does not mean the ACK is lost."""
        try:
            async with asyncio.timeout(timeout):
                while not set(methods) <= {method for method, _ in self.received}:
                    self._arrived.clear()
                    await self._arrived.wait()
        except TimeoutError:
            pass

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()


@pytest.fixture
def kamailio_tls(require_tool: Callable[[str], str]) -> str:
    """kamailio with its tls module (Debian kamailio-tls-modules): skipped without, failed in CI."""
    binary = require_tool("kamailio")
    if not (Path(kamailio_modules()) / "tls.so").exists():
        message = "kamailio's tls module is not installed (Debian kamailio-tls-modules)"
        if os.environ.get("AICALL_REQUIRE_TOOLS") == "1":
            pytest.fail(message + " (AICALL_REQUIRE_TOOLS=1: CI must install it)")
        pytest.skip(message)
    return binary


@pytest.fixture
async def carrier(tmp_path: Path) -> AsyncIterator[TlsCarrier]:
    cert, key = self_signed(tmp_path, "carrier")
    server = TlsCarrier(cert, key)
    await server.start()
    yield server
    await server.close()


async def test_kamailio_as_the_tls_edge_carries_our_udp_call_to_a_tls_only_carrier(
    kamailio_tls: str, carrier: TlsCarrier, backend: SipBackend, tmp_path: Path
) -> None:
    edge_cert, edge_key = self_signed(tmp_path, "edge")
    tls_cfg = tmp_path / "tls.cfg"
    tls_cfg.write_text(
        f"[server:default]\nmethod = TLSv1.2+\nverify_certificate = no\nrequire_certificate = no\n"
        f"private_key = {edge_key}\ncertificate = {edge_cert}\n\n"
        f"[client:default]\nmethod = TLSv1.2+\nverify_certificate = yes\nrequire_certificate = yes\n"
        f"ca_list = {carrier.cert}\n"
    )
    private, public = free_port(tcp=False), free_port(udp=False)
    workdir = tmp_path / "edge"
    workdir.mkdir()
    edge = Kamailio(
        kamailio_tls,
        workdir,
        cfg=TLS_EDGE_CFG,
        listen=[f"udp:127.0.0.1:{private}", f"tls:127.0.0.1:{public}"],
        defines=[f'CARRIER="sip:127.0.0.1:{carrier.port};transport=tls"', f'TLS_CFG="{tls_cfg}"'],
        wait_port=public,
    )
    await edge.start()
    try:
        trunk = TrunkConfig(id="edge", host="127.0.0.1", port=private)  # UDP to the edge's private side
        result = await backend.originate(dial_request(trunk))
        assert result.outcome is CallOutcome.ANSWERED, (result, edge.log()[-3000:])
        assert result.session is not None
        await result.session.hangup()
        await carrier.wait_for("ACK", "BYE")
    finally:
        await edge.stop()

    methods = [method for method, _ in carrier.received]
    # the edge's worker processes may pass our ACK and our BYE, sent together, in either order
    assert methods[0] == "INVITE" and sorted(methods[1:]) == ["ACK", "BYE"], methods
    assert {version for _, version in carrier.received} <= {"TLSv1.2", "TLSv1.3"}
    assert result.session.end_reason is EndReason.COMPLETED


async def test_a_trunk_asking_for_tls_is_refused_with_a_pointer_to_the_edge(backend: SipBackend) -> None:
    trunk = TrunkConfig(id="tls", host="127.0.0.1", port=5061, transport="tls")

    result = await backend.originate(dial_request(trunk))

    assert (result.outcome, result.sip_code) == (CallOutcome.FAILED, None)
    assert "TLS through an edge proxy" in result.reason
