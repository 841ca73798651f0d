"""Contact files read as people save them from Excel: CSV with or without BOM, comma or
semicolon, CRLF; XLSX with numbers, dates and blank rows; row numbers as Excel shows them."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import date, datetime, time

import pytest
from openpyxl import Workbook

from aicall.campaigns.spreadsheets import SheetFormat, cell_value, open_sheet
from aicall.errors import ValidationFailed


def read(data: bytes) -> tuple[list[str], list[tuple[int, list[object]]]]:
    with open_sheet(io.BytesIO(data)) as sheet:
        return sheet.header, list(sheet.rows())


def xlsx(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_csv_with_excel_bom_reads_the_first_header_without_it():
    header, rows = read("\ufeffSố điện thoại,Họ tên\n0987654321,Lan\n".encode())
    assert header == ["Số điện thoại", "Họ tên"]
    assert rows == [(2, ["0987654321", "Lan"])]


def test_csv_without_bom_reads_the_same():
    assert read("Số điện thoại,Họ tên\n0987654321,Lan\n".encode()) == read(
        "\ufeffSố điện thoại,Họ tên\n0987654321,Lan\n".encode()
    )


def test_semicolon_separated_csv_is_detected_and_commas_stay_inside_values():
    header, rows = read("SĐT;Họ tên;Địa chỉ\r\n0987654321;Lan;12 Lê Lợi, Q1\r\n".encode())
    assert header == ["SĐT", "Họ tên", "Địa chỉ"]
    assert rows == [(2, ["0987654321", "Lan", "12 Lê Lợi, Q1"])]


def test_crlf_quoted_newlines_and_blank_rows_keep_excel_row_numbers():
    data = b'phone,note\r\n0987654321,"two\r\nlines"\r\n\r\n,\r\n0987654322,x\r\n'
    header, rows = read(data)
    assert header == ["phone", "note"]
    # Row 3 is blank and row 4 holds only empty cells: skipped, but the next row is still 5.
    assert rows == [(2, ["0987654321", "two\r\nlines"]), (5, ["0987654322", "x"])]


def test_short_rows_are_padded_and_long_rows_cut_to_the_header():
    _, rows = read(b"phone,name\n0987654321\n0987654322,Lan,extra\n")
    assert rows == [(2, ["0987654321", None]), (3, ["0987654322", "Lan"])]


def test_csv_size_hint_counts_data_rows():
    with open_sheet(io.BytesIO(b"phone\n1\n\n2\n3\n")) as sheet:
        assert sheet.format is SheetFormat.CSV
        assert sheet.size_hint() == 3


def test_csv_that_is_not_utf8_says_where_and_how_to_fix_it():
    data = "phone,name\n0987654321,Lan\n0987654322,Lê Văn\n".encode("cp1258")
    with open_sheet(io.BytesIO(data)) as sheet, pytest.raises(ValidationFailed) as error:
        sheet.size_hint()
    assert "not UTF-8" in error.value.message
    assert "line 3" in error.value.message
    assert "CSV UTF-8" in error.value.message


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", "the file is empty"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "old Excel workbook (.xls)"),
        (b"%PDF-1.7\n", "not a CSV or XLSX file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "not a CSV or XLSX file"),
        ("phone\n".encode("utf-16"), "UTF-16"),
        (b"PK\x03\x04not really a zip", "not a readable XLSX workbook"),
        (b"\n\n", "first row must name the columns"),
    ],
)
def test_files_that_are_not_contact_lists_are_refused_clearly(data, expected):
    with pytest.raises(ValidationFailed) as error:
        open_sheet(io.BytesIO(data))
    assert expected in error.value.message
    assert error.value.code == 400


def test_xlsx_first_sheet_with_numbers_dates_and_blank_rows():
    data = xlsx(
        [
            ["Số điện thoại", "Họ tên", "Số tiền", "Hạn", "Giờ"],
            [987654321, "  Lan ", 1500000, date(2026, 12, 25), time(14, 30)],
            [None, None, None, None, None],
            ["0987654322", "Minh", 1500000.5, datetime(2026, 1, 2, 8, 5), None],
        ]
    )
    header, rows = read(data)
    assert header == ["Số điện thoại", "Họ tên", "Số tiền", "Hạn", "Giờ"]
    assert rows == [
        (2, [987654321, "Lan", 1500000, "25/12/2026", "14:30"]),
        (4, ["0987654322", "Minh", "1500000.5", "02/01/2026 08:05", None]),
    ]


def test_xlsx_reads_every_row_even_when_the_workbook_records_a_wrong_size():
    data = xlsx([["phone"], *[[f"09876543{n:02d}"] for n in range(30)]])
    # Some writers record `A1` as the sheet's size; openpyxl alone would stop reading there.
    patched = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(patched, "w") as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1"', content)
            target.writestr(item, content)
    _, rows = read(patched.getvalue())
    assert len(rows) == 30
    assert rows[-1] == (31, ["0987654329"])


def test_xlsx_size_hint_comes_from_the_sheet_and_only_the_first_sheet_is_read():
    workbook = Workbook()
    workbook.active.append(["phone"])
    workbook.active.append(["0987654321"])
    workbook.create_sheet("other").append(["not read"])
    out = io.BytesIO()
    workbook.save(out)
    with open_sheet(out) as sheet:
        assert sheet.format is SheetFormat.XLSX
        assert sheet.size_hint() == 1
        assert list(sheet.rows()) == [(2, ["0987654321"])]


def test_a_formula_cell_gives_the_value_excel_computed():
    # openpyxl does not compute formulas: a file saved by it has no cached value (None).
    data = xlsx([["phone", "total"], ["0987654321", "=1+1"]])
    _, rows = read(data)
    assert rows == [(2, ["0987654321", None])]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, None),
        ("   ", None),
        (" Lan ", "Lan"),
        (987654321, 987654321),
        (987654321.0, 987654321),
        (0.5, "0.5"),
        (True, "TRUE"),
        (date(2026, 3, 4), "04/03/2026"),
        (datetime(2026, 3, 4), "04/03/2026"),
        (datetime(2026, 3, 4, 9, 7, 5), "04/03/2026 09:07:05"),
        (time(9, 7), "09:07"),
    ],
)
def test_cells_become_what_the_add_contacts_api_accepts(raw, expected):
    assert cell_value(raw) == expected
