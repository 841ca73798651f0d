"""A client generated from the OpenAPI document by openapi-python-client (pinned in
generator-requirements.txt, installed by scripts/bootstrap in a venv of its own) adds contacts
and reads them back, and reads errors as the envelope."""

from __future__ import annotations

import importlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from tests.integration.support import LiveServer, Tenant

GENERATOR = (
    Path(__file__).parents[3] / ".venv" / "tools" / "openapi-python-client" / "bin" / "openapi-python-client"
)
# Literal types, not Enum classes: time zone names such as GMT+0 and GMT0 make the same Enum key.
CONFIG = "literal_enums: true\npost_hooks: []\n"
PACKAGE = "aicall_generated_client"


@pytest.fixture(scope="module")
def client_package(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The generated package, imported from a temporary directory (nothing installed)."""
    if not GENERATOR.exists():
        if os.environ.get("AICALL_REQUIRE_TOOLS") == "1":
            pytest.fail(f"{GENERATOR} is missing: run scripts/bootstrap")
        pytest.skip("openapi-python-client is not installed (scripts/bootstrap installs it)")
    from aicall.app import create_app
    from aicall.config import Settings

    work = tmp_path_factory.mktemp("client")
    settings = Settings(data_dir=work / "data", secret_key="k" * 32, run_engine=False)
    (work / "openapi.json").write_text(json.dumps(create_app(settings).openapi()))
    (work / "config.yaml").write_text(CONFIG)
    done = subprocess.run(
        [
            str(GENERATOR),
            "generate",
            "--path",
            str(work / "openapi.json"),
            "--config",
            str(work / "config.yaml"),
            "--meta",
            "none",
            "--output-path",
            str(work / PACKAGE),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    # Binary answers (WAV, CSV/XLSX) are the only parts the generator leaves out.
    assert "Unable to" not in done.stdout, done.stdout
    sys.path.insert(0, str(work))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(work))
        for name in [name for name in sys.modules if name.startswith(PACKAGE)]:
            del sys.modules[name]


def module(package: ModuleType, name: str) -> ModuleType:
    return importlib.import_module(f"{package.__name__}.{name}")


def test_a_generated_client_adds_contacts_and_reads_them_back(
    client_package: ModuleType, live_server: LiveServer, tenant: Tenant
) -> None:
    api = module(client_package, "api.campaigns")
    models = module(client_package, "models")
    add_contacts = importlib.import_module(f"{api.__name__}.add_contacts")
    get_contact = importlib.import_module(f"{api.__name__}.get_contact")
    contact = models.ContactIn(phone_number="098.765.4321")
    contact["ho_ten"] = "David Thiêm"
    contact["danh_xung"] = "Anh"
    body = models.ContactsAdd(campaign_id=tenant.campaign_id, contacts=[contact])

    with client_package.AuthenticatedClient(base_url=live_server.url, token=tenant.token()) as client:
        answer = add_contacts.sync(client=client, body=body, idempotency_key="generated-client-1")
        assert isinstance(answer, models.ContactsAdded), answer
        detail = get_contact.sync(answer.result[0].contact_id, client=client)

    assert answer.status == 1
    (added,) = answer.result
    assert added.so_dien_thoai == "+84987654321"
    assert added["ho_ten"] == "David Thiêm"
    assert detail.result.phone_number == "+84987654321"
    assert detail.result.tags.additional_properties == {"ho_ten": "David Thiêm", "danh_xung": "Anh"}
    assert detail.result.status == "pending"


def test_a_generated_client_reads_errors_as_the_envelope(
    client_package: ModuleType, live_server: LiveServer, tenant: Tenant
) -> None:
    add_contacts = importlib.import_module(f"{client_package.__name__}.api.campaigns.add_contacts")
    models = module(client_package, "models")
    body = models.ContactsAdd(
        campaign_id="no-such-campaign", contacts=[models.ContactIn(phone_number="0987654321")]
    )

    with client_package.AuthenticatedClient(base_url=live_server.url, token=tenant.token()) as client:
        missing = add_contacts.sync(client=client, body=body)
    with client_package.AuthenticatedClient(base_url=live_server.url, token="not-a-jwt") as client:
        refused = add_contacts.sync(client=client, body=body)

    assert isinstance(missing, models.ErrorEnvelope)
    assert (missing.status, missing.code) == (0, 1401)
    assert isinstance(refused, models.ErrorEnvelope)
    assert (refused.status, refused.code, refused.message) == (0, 401, "Unauthorized")
