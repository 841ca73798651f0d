"""Prompt templates: placeholders by key form or display name, read by their field's type."""

from __future__ import annotations

import pytest

from aicall.interpreter.script import FieldSpec
from aicall.speech.errors import ReadingError, TemplateError
from aicall.speech.template import (
    FixedText,
    Placeholder,
    check_values,
    placeholders,
    render_text,
    split_template,
    unknown_placeholders,
    validate_value,
)

FIELDS = (
    FieldSpec(name="Họ tên", key="ho_ten", reading_type="TEXT"),
    FieldSpec(name="Số tiền", key="so_tien", reading_type="CURRENCY"),
    FieldSpec(name="Hạn thanh toán", key="han_thanh_toan", reading_type="DATE"),
    FieldSpec(name="Biển số", key="bien_so", reading_type="SEQ2SEQ"),
)
VALUES = {"ho_ten": "Chị Hoa", "so_tien": "1.500.000", "han_thanh_toan": "05/04/2024", "bien_so": "30A-123"}


def test_placeholders_are_listed_raw_in_order_with_spaces_trimmed() -> None:
    template = "Chào {{ho_ten}}, nợ {{ Số tiền }}; {{ho_ten}} ơi {{  }}."

    assert placeholders(template) == ["ho_ten", "Số tiền", "ho_ten", ""]


def test_single_braces_and_unclosed_braces_are_plain_text() -> None:
    assert placeholders("giá {so_tien} hay {{so_tien") == []


def test_a_placeholder_may_use_the_key_form_or_the_display_name() -> None:
    template = "Chào {{ho_ten}}. Anh {{Họ tên}} nợ {{ Số tiền }}, {{so tien}}."

    assert unknown_placeholders(template, FIELDS) == []
    assert render_text(template, FIELDS, VALUES) == (
        "Chào Chị Hoa. Anh Chị Hoa nợ một triệu năm trăm nghìn đồng, một triệu năm trăm nghìn đồng."
    )


def test_unknown_placeholders_are_reported_once_each() -> None:
    template = "{{ho_ten}} {{ma_don}} {{Mã đơn}} {{ma_don}} {{}}"

    assert unknown_placeholders(template, FIELDS) == ["ma_don", "Mã đơn", ""]


def test_each_value_is_read_by_its_fields_reading_type() -> None:
    template = "Xe {{bien_so}} của {{ho_ten}} nợ {{so_tien}}, hạn {{han_thanh_toan}}."

    assert render_text(template, FIELDS, VALUES, "south") == (
        "Xe ba không a, một hai ba của Chị Hoa nợ một triệu năm trăm ngàn đồng, "
        "hạn ngày mùng năm tháng tư năm hai ngàn không trăm hai mươi tư."
    )


def test_values_may_be_keyed_by_display_name() -> None:
    values = {"Họ tên": "Anh Nam", "Số tiền": "2000"}

    assert render_text("{{ho_ten}}: {{so_tien}}", FIELDS, values) == "Anh Nam: hai nghìn đồng"


def test_a_missing_value_raises_a_template_error_naming_the_field() -> None:
    with pytest.raises(TemplateError, match="Số tiền") as caught:
        render_text("Nợ {{so_tien}}.", FIELDS, {"ho_ten": "An"})

    assert caught.value.field == "Số tiền"


def test_a_placeholder_that_names_no_field_cannot_be_rendered() -> None:
    with pytest.raises(TemplateError, match="ma_don"):
        render_text("Đơn {{ma_don}}.", FIELDS, VALUES)


def test_an_unreadable_value_raises_a_reading_error_naming_the_field() -> None:
    with pytest.raises(ReadingError, match=r"Số tiền.*12a000") as caught:
        render_text("Nợ {{so_tien}}.", FIELDS, {**VALUES, "so_tien": "12a000"})

    assert caught.value.field == "Số tiền"
    assert caught.value.value == "12a000"


def test_a_value_holding_braces_is_never_expanded_again() -> None:
    values = {**VALUES, "ho_ten": "{{so_tien}}"}

    assert render_text("Chào {{ho_ten}}.", FIELDS, values) == "Chào {{so_tien}}."


def test_split_template_separates_fixed_text_from_placeholders() -> None:
    assert split_template("Chào {{ ho_ten }}, nợ {{so_tien}}.") == [
        FixedText("Chào "),
        Placeholder("ho_ten"),
        FixedText(", nợ "),
        Placeholder("so_tien"),
        FixedText("."),
    ]
    assert split_template("{{ho_ten}}{{so_tien}}") == [Placeholder("ho_ten"), Placeholder("so_tien")]
    assert split_template("") == []


def test_validate_value_returns_none_or_the_reason() -> None:
    money = FIELDS[1]

    assert validate_value(money, "1.500.000đ") is None
    assert "negative" in (validate_value(money, "-5") or "")
    assert "February 2023 has 28 days" in (validate_value(FIELDS[2], "29/02/2023") or "")


def test_check_values_names_the_first_field_that_cannot_be_read() -> None:
    assert check_values(FIELDS, VALUES) is None
    assert check_values(FIELDS, {**VALUES, "han_thanh_toan": "31/02/2024"}) == (
        "field 'Hạn thanh toán' (han_thanh_toan): '31/02/2024' is not a date: February 2024 has 29 days"
    )
    assert "no value for field 'Số tiền'" in (check_values(FIELDS, {"ho_ten": "An"}) or "")
    assert check_values(FIELDS, {"ho_ten": "An"}, require_all=False) is None
