"""What the campaign and contact page tests share: the public API as a customer calls it, fresh
phone numbers, and a second account with its own user."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

import jwt
import requests

from aicall.accounts import service as account_service
from aicall.accounts import users as user_service
from aicall.accounts.secrets_box import SecretBox
from tests.browser.conftest import Dashboard
from tests.integration.support import SECRET_KEY

API = "/api/v1/public-api"
_used: set[str] = set()


def phone(last_digit: int) -> str:
    """A Viettel mobile no test has used in this run, ending in `last_digit` (the simulator's
    behaviour: 1 answers and presses 1, 3 is busy, 4 rings out, 8 does not exist...)."""
    while True:
        number = f"098{random.randrange(10**6):06d}{last_digit}"
        if number not in _used:
            _used.add(number)
            return number


def api(dashboard: Dashboard, method: str, path: str, body: Any = None) -> dict[str, Any]:
    """A public API call with the demo application's JWT; the answer's JSON envelope."""
    token = jwt.encode({"apiKey": dashboard.demo.api_key}, dashboard.demo.api_secret, algorithm="HS256")
    response = requests.request(
        method,
        dashboard.url + API + path,
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    payload: dict[str, Any] = response.json()
    return payload


def add_contacts(dashboard: Dashboard, campaign_id: str, *contacts: dict[str, Any]) -> list[str]:
    """Add contacts through `POST /campaign` (CONTRACT §2); return their ids in order."""
    body = api(dashboard, "POST", "/campaign", {"campaign_id": campaign_id, "contacts": list(contacts)})
    return [row["contact_id"] for row in body["result"]]


def contact(number: str, name: str = "Nguyễn Văn An", amount: str = "150000") -> dict[str, Any]:
    """A contact for the demo scenario (fields Họ tên, Số tiền)."""
    return {"phone_number": number, "ho_ten": name, "so_tien": amount}


def new_campaign(dashboard: Dashboard, name: str, *, start: bool = True, **settings: Any) -> str:
    """A campaign of the demo application on the demo scenario, through the public API."""
    body = api(
        dashboard,
        "POST",
        "/campaigns",
        {"name": name, "scenario_id": dashboard.demo.scenario_id, "settings": settings, "start": start},
    )
    return str(body["result"]["id"])


@dataclass(frozen=True)
class OtherAccount:
    email: str
    password: str
    account_id: str


def other_account(dashboard: Dashboard) -> OtherAccount:
    """A second tenant with an application and a user of its own (nothing of the demo's)."""
    suffix = f"{random.randrange(10**9):09d}"
    email, password = f"other-{suffix}@example.com", "other-password-123"
    with dashboard.db.transaction() as session:
        account = account_service.create_account(session=session, name=f"Other {suffix}")
        account_service.create_application(
            session=session, box=SecretBox(SECRET_KEY), account_id=account.id, name=f"Other app {suffix}"
        )
        user_service.create_user(session=session, account_id=account.id, email=email, password=password)
        account_id = account.id
    return OtherAccount(email, password, account_id)
