"""The stand-in prompter: raw values in, an estimated duration out."""

from __future__ import annotations

import pytest

from aicall.interpreter import PromptRenderError, TextPrompter, fill_template


def test_tags_are_filled_with_raw_values_spaces_allowed() -> None:
    text = fill_template(
        "Chào {{ho_ten}}, nợ {{ so_tien }} đồng.", {"ho_ten": "Chị Hoa", "so_tien": "1500000"}
    )

    assert text == "Chào Chị Hoa, nợ 1500000 đồng."


def test_a_tag_without_a_value_cannot_be_rendered() -> None:
    with pytest.raises(PromptRenderError, match=r"\{\{ma_don\}\}"):
        fill_template("Đơn {{ma_don}}.", {})


async def test_the_text_prompter_estimates_speaking_time_from_length() -> None:
    prompter = TextPrompter()

    audio = await prompter.render("Xin chào {{ten}}.", {"ten": "An"})

    assert audio.text == "Xin chào An."
    assert audio.duration == pytest.approx(len("Xin chào An.") * 0.06)
    assert audio.pcm is None
    assert prompter.rendered == ["Xin chào An."]


def test_a_tag_may_name_a_field_by_its_display_name() -> None:
    assert fill_template("Chào {{ Họ tên }}.", {"Họ tên": "Anh Tú"}) == "Chào Anh Tú."
