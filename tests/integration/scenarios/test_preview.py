"""POST /scenarios/{id}/preview: the exact words for a contact's values, and a playable WAV."""

from __future__ import annotations

import io
import wave
from collections.abc import Callable
from urllib.parse import parse_qs, urlparse

import pytest
import requests

from tests.integration.scenarios.helpers import Api, error, result

ALL_TYPES = [
    {"name": "Họ tên", "readingType": "TEXT"},
    {"name": "Số tiền", "readingType": "CURRENCY"},
    {"name": "Ngày hẹn", "readingType": "DATE"},
    {"name": "Mã đơn", "readingType": "SEQ2SEQ"},
    {"name": "Số lượng", "readingType": "NUMBER"},
    {"name": "Giờ hẹn", "readingType": "TIME"},
]
VALUES = {
    "ho_ten": "Lan",
    "so_tien": "1.500.000đ",
    "Ngày hẹn": "05/03/2025",
    "ma_don": "AB12",
    "so_luong": "105",
    "gio_hen": "14:30",
}


def preview_scenario(api: Api, dialect: str = "north") -> tuple[str, str]:
    scenario = api.create_scenario(personalizedFields=ALL_TYPES, dialect=dialect)
    start = api.action(scenario["id"], "start")
    api.update_action(
        start["id"],
        contentText="Chào {{ho_ten}}: {{so_tien}}; {{ngay_hen}}; {{Mã đơn}}; {{so_luong}}; {{gio_hen}}.",
    )
    return scenario["id"], start["id"]


@pytest.mark.parametrize(
    ("dialect", "expected"),
    [
        (
            "north",
            (
                "Chào Lan: một triệu năm trăm nghìn đồng; ngày mồng năm tháng ba năm hai nghìn không trăm "
                "hai mươi lăm; a bê một hai; một trăm linh năm; mười bốn giờ ba mươi phút."
            ),
        ),
        (
            "south",
            (
                "Chào Lan: một triệu năm trăm ngàn đồng; ngày mùng năm tháng ba năm hai ngàn không trăm "
                "hai mươi lăm; a bê một hai; một trăm lẻ năm; mười bốn giờ ba mươi phút."
            ),
        ),
    ],
)
def test_preview_says_every_reading_type_in_the_scenarios_dialect(
    api: Api, require_tool: Callable[[str], str], dialect: str, expected: str
) -> None:
    require_tool("espeak-ng")
    scenario_id, action_id = preview_scenario(api, dialect)
    answer = result(api.post(f"/scenarios/{scenario_id}/preview", {"actionId": action_id, "values": VALUES}))
    assert answer["text"] == expected
    assert answer["audio_url"]


def test_the_preview_audio_is_a_playable_wav_behind_a_signed_link(
    api: Api, require_tool: Callable[[str], str]
) -> None:
    require_tool("espeak-ng")
    scenario_id, action_id = preview_scenario(api)
    answer = result(api.post(f"/scenarios/{scenario_id}/preview", {"actionId": action_id, "values": VALUES}))
    url = answer["audio_url"]
    assert url.startswith(api.server.url + "/api/v1/public-api/audio/") and ".wav?" in url
    audio = requests.get(url, timeout=30)  # no token: the link is the credential
    assert audio.status_code == 200
    assert audio.headers["content-type"] == "audio/wav"
    with wave.open(io.BytesIO(audio.content)) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 8000)
        assert wav.getnframes() / wav.getframerate() > 2.0  # a whole sentence, not a click
    query = parse_qs(urlparse(url).query)
    tampered = url.replace(query["signature"][0], "0" * 32)
    assert (
        error(requests.get(tampered, timeout=30), 403, 403)["message"]
        == "Audio link is invalid or has expired"
    )
    other_key = url.replace(urlparse(url).path.rsplit("/", 1)[1], "ab" * 32 + ".wav")
    error(requests.get(other_key, timeout=30), 403, 403)


def test_an_unreadable_value_is_refused_naming_the_field(api: Api) -> None:
    scenario_id, action_id = preview_scenario(api)
    body = error(
        api.post(
            f"/scenarios/{scenario_id}/preview",
            {"actionId": action_id, "values": {**VALUES, "so_tien": "12a"}},
        ),
        400, 400, "values.so_tien", "Số tiền", "CURRENCY", "12a",
    )  # fmt: skip
    assert body["details"][0]["field"] == "values.so_tien"
    missing = dict(VALUES)
    del missing["gio_hen"]
    error(
        api.post(f"/scenarios/{scenario_id}/preview", {"actionId": action_id, "values": missing}),
        400,
        400,
        "Giờ hẹn",
    )


def test_preview_of_an_action_of_another_scenario_is_refused(api: Api) -> None:
    scenario_id, _ = preview_scenario(api)
    other = api.create_scenario(name="other")
    foreign = api.action(other["id"], "start")
    error(
        api.post(f"/scenarios/{scenario_id}/preview", {"actionId": foreign["id"], "values": {}}),
        400,
        400,
        "actionId",
    )


def test_an_action_with_nothing_to_say_previews_as_silence(api: Api) -> None:
    scenario = api.create_scenario()
    start = api.action(scenario["id"], "start")
    answer = result(api.post(f"/scenarios/{scenario['id']}/preview", {"actionId": start["id"], "values": {}}))
    assert answer == {"action_id": start["id"], "text": "", "audio_url": None}


def test_a_signature_with_characters_outside_ascii_is_an_invalid_link(api: Api) -> None:
    # hmac.compare_digest refuses such text with TypeError: this was a 500 (found by Schemathesis).
    url = f"{api.server.url}/api/v1/public-api/audio/{'ab' * 32}.wav"
    answer = requests.get(url, params={"expires": "9999999999", "signature": 'ü"Z'}, timeout=30)
    assert error(answer, 403, 403)["message"] == "Audio link is invalid or has expired"
