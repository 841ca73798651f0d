"""Columns mapped to the scenario's fields as people name them, and explicit mappings."""

from __future__ import annotations

import pytest

from aicall.campaigns.column_mapping import parse_map_option, parse_mapping, resolve
from aicall.errors import ValidationFailed
from aicall.interpreter.script import FieldSpec

FIELDS = (
    FieldSpec(name="Họ tên", key="ho_ten", reading_type="TEXT"),
    FieldSpec(name="Số tiền", key="so_tien", reading_type="CURRENCY"),
)


@pytest.mark.parametrize(
    "header",
    [
        "Số điện thoại",
        "so_dien_thoai",
        "SỐ ĐIỆN THOẠI",
        "SĐT",
        "SDT",
        "sđt",
        "phone",
        "Phone Number",
        "mobile",
    ],
)
def test_phone_headers_with_or_without_diacritics_map_to_phone_number(header):
    mapping = resolve([header, "Họ tên"], FIELDS)
    assert mapping.as_dict() == {header: "phone_number", "Họ tên": "ho_ten"}


def test_headers_naming_scenario_fields_map_to_their_keys_and_others_are_kept_as_tags():
    mapping = resolve(["HỌ TÊN", "so tien", "SĐT", "Ghi chú", ""], FIELDS)
    assert mapping.as_dict() == {
        "HỌ TÊN": "ho_ten",
        "so tien": "so_tien",
        "SĐT": "phone_number",
        "Ghi chú": "ghi_chu",
    }
    assert mapping.contact(["Lan", 150000, "0987654321", "VIP", "x"]) == {
        "ho_ten": "Lan",
        "so_tien": 150000,
        "phone_number": "0987654321",
        "ghi_chu": "VIP",
    }


def test_only_the_first_of_two_phone_columns_is_the_number():
    mapping = resolve(["SĐT", "phone"], FIELDS)
    assert mapping.as_dict() == {"SĐT": "phone_number", "phone": ""}


def test_explicit_mapping_overrides_the_suggestion_column_by_column():
    header = ["Di động", "Tên KH", "SĐT cũ", "Ghi chú"]
    mapping = resolve(header, FIELDS, {"Di động": "phone_number", "Tên KH": "Họ tên", "Ghi chú": ""})
    assert mapping.as_dict() == {
        "Di động": "phone_number",
        "Tên KH": "ho_ten",
        "SĐT cũ": "sdt_cu",
        "Ghi chú": "",
    }


def test_explicit_phone_column_takes_the_number_from_the_suggested_one():
    mapping = resolve(["SĐT", "Số khác"], FIELDS, {"so khac": "phone_number"})
    assert mapping.as_dict() == {"SĐT": "", "Số khác": "phone_number"}
    assert mapping.phone_column.header == "Số khác"


def test_a_file_without_a_phone_column_is_refused_naming_its_columns():
    with pytest.raises(ValidationFailed) as error:
        resolve(["Họ tên", "Số tiền"], FIELDS)
    assert "no phone number column" in error.value.message
    assert "'Họ tên', 'Số tiền'" in error.value.message


def test_a_mapping_naming_a_missing_column_is_refused():
    with pytest.raises(ValidationFailed) as error:
        resolve(["SĐT"], FIELDS, {"Điện thoại bàn": "phone_number"})
    assert "'Điện thoại bàn', which the file does not have" in error.value.message


def test_two_columns_mapped_to_one_key_are_refused():
    with pytest.raises(ValidationFailed) as error:
        resolve(["SĐT", "A", "B"], FIELDS, {"A": "ho_ten", "B": "Họ tên"})
    assert "same key 'ho_ten'" in error.value.message


def test_the_cli_map_option_reads_header_key_pairs():
    assert parse_map_option("Số điện thoại=phone_number, Họ tên=ho_ten,Ghi chú=") == {
        "Số điện thoại": "phone_number",
        "Họ tên": "ho_ten",
        "Ghi chú": "",
    }
    with pytest.raises(ValidationFailed, match="must be HEADER=KEY"):
        parse_map_option("Số điện thoại")


def test_the_form_mapping_field_is_a_json_object_of_strings():
    assert parse_mapping('{"SĐT": "phone_number"}') == {"SĐT": "phone_number"}
    assert parse_mapping("  ") is None
    with pytest.raises(ValidationFailed, match="not valid JSON"):
        parse_mapping("{")
    with pytest.raises(ValidationFailed, match="JSON object of column header"):
        parse_mapping('["SĐT"]')
