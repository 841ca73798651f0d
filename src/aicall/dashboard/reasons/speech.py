"""Values a field's reading type cannot read aloud (speech.reading, speech.numbers, speech.dates,
speech.spelling): a contact's tag in an import, a sample value in the listen panel, a field's
default."""

from __future__ import annotations

from aicall.dashboard.reasons.rules import rule

V = r"'(?P<value>.*)'"

RULES = (
    rule(r"the value is empty", "Giá trị đang trống."),
    rule(rf"{V} has no amount", "'{value}' không có số tiền."),
    rule(rf"{V} is a negative amount of money", "'{value}' là số tiền âm."),
    rule(rf"{V} has a fraction of a đồng", "'{value}' có phần lẻ của một đồng."),
    rule(rf"{V} is not an amount of money: (?P<clause>.*)", "'{value}' không phải số tiền: {clause}."),
    rule(rf"{V} is not a number: (?P<clause>.*)", "'{value}' không phải một số: {clause}."),
    rule(r"there are no digits", "không có chữ số nào"),
    rule(r"it contains '(?P<char>.*)'; only digits and the separators \. , and space are allowed",
         "có ký tự '{char}'; chỉ được dùng chữ số và dấu phân cách (. , hoặc khoảng trắng)"),
    rule(r"it must start and end with a digit", "phải bắt đầu và kết thúc bằng chữ số"),
    rule(rf"{V} has a space or separator after its decimal separator",
         "'{value}' có khoảng trắng hoặc dấu phân cách sau dấu thập phân."),
    rule(r"'?(?P<value>.*?)'? is too large to read \(more than (?P<n>\d+) digits\)",
         "'{value}' quá lớn để đọc (hơn {n} chữ số)."),
    rule(rf"{V} has more than one decimal separator", "'{value}' có nhiều hơn một dấu thập phân."),
    rule(rf"{V} ends with a separator", "'{value}' kết thúc bằng dấu phân cách."),
    rule(rf"{V} has misplaced thousands separators \(expected groups of three digits\)",
         "'{value}' đặt sai dấu phân cách hàng nghìn (phải là các nhóm ba chữ số)."),
    rule(rf"{V} is not a date: write it as dd/mm/yyyy, d/m/yyyy, dd-mm-yyyy or yyyy-mm-dd",
         "'{value}' không phải ngày: hãy viết dạng dd/mm/yyyy, d/m/yyyy, dd-mm-yyyy hoặc yyyy-mm-dd."),
    rule(rf"{V} is not a date: there is no month (?P<n>\d+)",
         "'{value}' không phải ngày: không có tháng {n}."),
    rule(rf"{V} is not a date: there is no year 0", "'{value}' không phải ngày: không có năm 0."),
    rule(rf"{V} is not a date: (?P<month>\w+) (?P<year>\d+) has (?P<n>\d+) days",
         "'{value}' không phải ngày: tháng {month} năm {year} chỉ có {n} ngày."),
    rule(rf"{V} is not a time: write it as HH:MM, HH:MM:SS or 14h30",
         "'{value}' không phải giờ: hãy viết dạng HH:MM, HH:MM:SS hoặc 14h30."),
    rule(rf"{V} is not a time: the (?P<unit>hour|minute|second) must be 0-(?P<limit>\d+), not (?P<n>\d+)",
         "'{value}' không phải giờ: {unit} phải từ 0 đến {limit}, không phải {n}."),
    rule(rf"{V} cannot be spelled: '(?P<char>.*)' is not a digit, a Vietnamese letter without tone mark, "
         r"or a separator \(- \. / _ space\)",
         "'{value}' không đánh vần được: '{char}' không phải chữ số, chữ cái tiếng Việt không dấu thanh "
         "hay dấu phân cách (- . / _ khoảng trắng)."),
    rule(rf"{V} has no letter or digit to spell", "'{value}' không có chữ cái hay chữ số nào để đánh vần."),
)  # fmt: skip
