"""A speech menu built in the browser by someone who does not code: the answer type, a built-in
intent and one of the scenario's own with its phrases, each leading somewhere; read back over the
public API in its shape, drawn with the intents on the arrows; a bad phrase refused on the form."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Locator, Page, expect

from tests.browser.campaign_support import api
from tests.browser.conftest import SCREENSHOTS, Dashboard
from tests.browser.test_scenarios import add_action, new_scenario


def start_card(page: Page) -> Locator:
    return page.locator('details.action-card[data-label="start"]')


def stored_start(dashboard: Dashboard, scenario_id: str) -> dict[str, Any]:
    """The `start` menu as `GET /scenario-actions` answers it."""
    actions = api(dashboard, "GET", f"/scenario-actions?scenarioId={scenario_id}")["result"]
    return next(a for a in actions if a["label"] == "start")


def test_a_speech_menu_is_built_in_the_form_and_read_back_over_the_api(
    page: Page, dashboard: Dashboard
) -> None:
    scenario_id = new_scenario(page, dashboard, "Xác nhận lịch hẹn bằng giọng nói")
    confirm = add_action(page, "xac_nhan", "END_CALL", "Cảm ơn {{ho_ten}}, hẹn gặp lại.")
    price = add_action(page, "bao_gia", "PLAY_MESSAGE", "Phí khám là {{so_tien}}.")

    start = start_card(page)
    start.locator("summary").click()
    start.locator('textarea[name="contentText"]').fill(
        "Chào {{ho_ten}}, quý khách có đến khám ngày mai không? Quý khách cũng có thể hỏi giá."
    )
    key, yes = (
        start.locator('input[name="responses[0].keyPadMatch"]'),
        start.locator('select[name="responses[0].intent"]'),
    )
    expect(key).to_be_visible()  # a new menu listens for keys: no intents shown
    expect(yes).to_be_hidden()
    start.locator('select[name="responseSetting.responseType"]').select_option("SPEECH")
    expect(key).to_be_hidden()  # and a speech menu shows no keys
    expect(yes).to_be_visible()
    expect(yes.locator('option[value="yes"]')).to_contain_text("có, có ạ, có chứ, vâng")  # what will match
    yes.select_option("yes")
    start.locator('select[name="responses[0].nextActionId"]').select_option(label="xac_nhan")
    start.locator('select[name="responses[1].intent"]').select_option(label="Ý định riêng (đặt tên bên dưới)")
    start.locator('input[name="responses[1].customIntent"]').fill("hoi_gia")
    start.locator('textarea[name="responses[1].phrases"]').fill("bao nhiêu tiền\ngiá bao nhiêu, phí khám")
    start.locator('select[name="responses[1].nextActionId"]').select_option(label="bao_gia")
    start.locator('input[name="responseSetting.timeout"]').fill("6")
    start.locator("form.action-form button[type=submit]").click()
    expect(page.locator(".notice")).to_have_text("Đã lưu.")

    menu = stored_start(dashboard, scenario_id)
    assert menu["response_setting"]["response_type"] == "SPEECH"
    assert menu["response_setting"]["timeout"] == 6
    answers = [
        (r["key_pad_match"], r.get("intent"), r.get("phrases"), r["next_action_id"])
        for r in menu["responses"]
    ]
    assert answers == [
        (None, "yes", [], confirm),
        (None, "hoi_gia", ["bao nhiêu tiền", "giá bao nhiêu", "phí khám"], price),
    ]

    graph = page.locator("#graph svg")
    for intent, target, label in [("yes", confirm, "“có”"), ("hoi_gia", price, "“hoi_gia”")]:
        edge = graph.locator(f'g.edge[data-intent="{intent}"]')
        expect(edge).to_have_attribute("data-to", target)
        expect(edge.locator("text.edge-label")).to_have_text(label)

    start = start_card(page)
    expect(start).to_have_attribute("open", "")  # the saved action stays open
    expect(start.locator('select[name="responses[1].intent"]')).to_have_value("_custom")
    expect(start.locator('textarea[name="responses[1].phrases"]')).to_have_value(
        "bao nhiêu tiền\ngiá bao nhiêu\nphí khám"
    )
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    start.screenshot(path=str(SCREENSHOTS / "scenario-speech-menu.png"))


def test_a_phrase_without_words_is_refused_on_the_form_and_nothing_is_stored(
    page: Page, dashboard: Dashboard
) -> None:
    scenario_id = new_scenario(page, dashboard, "Cụm từ sai")
    add_action(page, "tam_biet", "END_CALL", "Tạm biệt.")
    start = start_card(page)
    start.locator("summary").click()
    start.locator('textarea[name="contentText"]').fill("Quý khách muốn gặp nhân viên không?")
    start.locator('select[name="responseSetting.responseType"]').select_option("KEYPAD_OR_SPEECH")
    start.locator('input[name="responses[0].keyPadMatch"]').fill("0")
    start.locator('select[name="responses[0].intent"]').select_option("_custom")
    start.locator('input[name="responses[0].customIntent"]').fill("gap_nhan_vien")
    typed = "gặp nhân viên, ?!, tư vấn viên"
    start.locator('textarea[name="responses[0].phrases"]').fill(typed)
    start.locator('select[name="responses[0].nextActionId"]').select_option(label="tam_biet")
    start.locator("form.action-form button[type=submit]").click()

    phrases = start_card(page).locator('textarea[name="responses[0].phrases"]')
    expect(phrases).to_have_attribute("aria-invalid", "true")
    expect(phrases).to_have_value(typed)
    expect(page.locator("#" + str(phrases.get_attribute("aria-describedby")))).to_have_text(
        "Có một cụm từ không có chữ nào: mỗi cụm từ phải là lời khách có thể nói."
    )
    expect(start_card(page).locator('select[name="responseSetting.responseType"]')).to_have_value(
        "KEYPAD_OR_SPEECH"
    )
    menu = stored_start(dashboard, scenario_id)
    assert (menu["response_setting"]["response_type"], menu["responses"]) == ("KEYPAD", [])
