"""Contacts from a file: reading it (campaigns.spreadsheets), its columns
(campaigns.column_mapping), its size (campaigns.file_import) and each row's reason
(campaigns.contact_import, campaigns.scenario_rules; a number's reasons are in `telephony`)."""

from __future__ import annotations

from aicall.dashboard.reasons.rules import rule

RULES = (
    # the file
    rule(r"the file is empty", "Tệp trống."),
    rule(r"the file is an old Excel workbook \(\.xls\), which is not supported: save it as XLSX or CSV UTF-8",
         "Tệp là sổ Excel cũ (.xls), không được hỗ trợ: hãy lưu lại dạng XLSX hoặc CSV UTF-8."),
    rule(r"the file is UTF-16 text \(Excel's 'Unicode Text'\): save it as CSV UTF-8 or XLSX",
         "Tệp là văn bản UTF-16 (“Unicode Text” của Excel): hãy lưu lại dạng CSV UTF-8 hoặc XLSX."),
    rule(r"the file is not a CSV or XLSX file", "Tệp không phải tệp CSV hay XLSX."),
    rule(r"the file \((?P<name>.*)\) is not a CSV or XLSX file", "Tệp {name} không phải tệp CSV hay XLSX."),
    rule(r"the first row must name the columns \(e\.g\. 'Số điện thoại', 'Họ tên'\); it is empty",
         "Dòng đầu tiên phải là tên các cột (ví dụ 'Số điện thoại', 'Họ tên'); dòng này đang trống."),
    rule(r"the file is not UTF-8 text \(line (?P<line>\d+), byte (?P<byte>\d+)\): "
         r"save it as 'CSV UTF-8' or XLSX",
         "Tệp không phải văn bản UTF-8 (dòng {line}, byte {byte}): hãy lưu lại dạng “CSV UTF-8” hoặc XLSX."),
    rule(r"the file is not UTF-8 text \(it ends inside a character\): save it as 'CSV UTF-8' or XLSX",
         "Tệp không phải văn bản UTF-8 (kết thúc giữa một ký tự): hãy lưu lại dạng “CSV UTF-8” hoặc XLSX."),
    rule(r"the CSV file cannot be read at line (?P<line>\d+): (?P<clause>.*)",
         "Không đọc được tệp CSV ở dòng {line}: {clause}."),
    rule(r"field larger than field limit \((?P<n>\d+)\)", "có ô dài hơn {n} ký tự"),
    rule(r"unexpected end of data", "tệp kết thúc giữa chừng"),
    rule(r"the file is not a readable XLSX workbook \((?P<clause>.*)\)",
         "Tệp không phải sổ XLSX đọc được ({clause})."),
    rule(r"File is not a zip file", "tệp không có cấu trúc zip của XLSX"),
    rule(r"the workbook has no worksheet", "Sổ tính không có trang tính nào."),
    rule(r"the XLSX workbook cannot be read \((?P<clause>.*)\)", "Không đọc được sổ XLSX ({clause})."),
    rule(r"the file has no data rows under its header", "Tệp không có dòng dữ liệu nào dưới dòng tên cột."),
    rule(r"The file is (?P<digits>[\d,]+) bytes, larger than the limit of (?P<digits2>[\d,]+) bytes "
         r"\(AICALL_MAX_UPLOAD_BYTES\): split it",
         "Tệp có {digits} byte, lớn hơn giới hạn {digits2} byte (AICALL_MAX_UPLOAD_BYTES): "
         "hãy chia nhỏ tệp."),
    rule(r"The file has more than (?P<digits>[\d,]+) rows, the limit \(AICALL_MAX_IMPORT_ROWS\): split it",
         "Tệp có hơn {digits} dòng, vượt giới hạn (AICALL_MAX_IMPORT_ROWS): hãy chia nhỏ tệp."),
    # its columns
    rule(r"the file has no column (?P<n>\d+)", "Tệp không có cột {n}."),
    rule(r"sends columns '(?P<a>.*)' and '(?P<b>.*)' to the same key '(?P<key>.*)'",
         "Hai cột '{a}' và '{b}' được ghép vào cùng một trường '{key}'."),
    rule(r"no phone number column: name one 'Số điện thoại', 'SĐT' or 'phone_number', "
         r"or map one to phone_number \(columns: (?P<none>.*)\)",
         "Không có cột số điện thoại: hãy đặt tên một cột là 'Số điện thoại', 'SĐT' hoặc 'phone_number', "
         "hoặc ghép một cột vào Số điện thoại (các cột: {none})."),
    rule(r"target '(?P<value>.*)' is not a usable key", "'{value}' không dùng được làm mã trường."),
    # the campaign
    rule(r"Import contacts failed: the campaign is (?P<status>\w+)",
         "Không nhập được danh bạ: chiến dịch đang ở trạng thái “{status}”."),
    rule(r"All contacts is invalid", "Không có liên hệ nào hợp lệ."),
    # one row
    rule(r"do_not_call", "Số này nằm trong danh sách không được gọi."),
    rule(r"tag '(?P<name>.*)' must be a string", "Thẻ '{name}' phải được viết dạng chữ."),
    rule(r"tag '(?P<name>.*)' is a number too large to be exact in JSON: send it as a string",
         "Thẻ '{name}' là số quá lớn để giữ chính xác: hãy viết nó dạng chữ."),
    rule(r"tag '(?P<name>.*)' is longer than (?P<n>\d+) characters", "Thẻ '{name}' dài quá {n} ký tự."),
    rule(r"tag '(?P<name>.*)' \(field '(?P<label>.*)', (?P<type>\w+)\): (?P<reason>.*)",
         "Thẻ '{name}' (trường '{label}', kiểu {type}): {reason}"),
    rule(r"tag '(?P<name>.*)' \(field '(?P<label>.*)'\) is missing: the scenario's prompts read it .*",
         "Thiếu thẻ '{name}' (trường '{label}'): lời thoại của kịch bản đọc trường này (đặt giá trị mặc "
         "định cho trường trong kịch bản để gọi cả liên hệ không có nó)."),
    rule(r"duplicate: same number as row (?P<n>\d+) in this file", "Trùng: cùng số với dòng {n} trong tệp."),
    rule(r"duplicate: same number as contact (?P<n>\d+) in this request",
         "Trùng: cùng số với liên hệ {n} trong yêu cầu này."),
    rule(r"duplicate: the campaign already has this number", "Trùng: chiến dịch đã có số này."),
)  # fmt: skip
