"""pydantic's own messages, as the services pass them on (`ValidationFailed.from_errors`), and
the services' generic codes (not found, wrong status)."""

from __future__ import annotations

from aicall.dashboard.reasons.rules import rule

N = r"(?P<n>-?[\d.]+)"

RULES = (
    rule(r"Validation Failed: (?:[\w.\[\]]+: )?(?P<reason>.*)", "{reason}"),
    rule(r"Value error, (?P<reason>.*)", "{reason}"),
    rule(r"Field required|String should have at least 1 character|is empty", "Không được để trống."),
    rule(r"String should have at least (?P<n>\d+) characters", "Cần ít nhất {n} ký tự."),
    rule(r"String should have at most (?P<n>\d+) characters?", "Dài quá {n} ký tự."),
    rule(r"must be at most (?P<n>\d+) characters", "Dài quá {n} ký tự."),
    rule(r"is longer than (?P<n>\d+) characters", "Dài quá {n} ký tự."),
    rule(r"must not be empty", "Không được để trống."),
    rule(rf"Input should be greater than {N}", "Phải lớn hơn {n}."),
    rule(rf"Input should be greater than or equal to {N}", "Phải từ {n} trở lên."),
    rule(rf"Input should be less than or equal to {N}", "Không được quá {n}."),
    rule(rf"Input should be less than {N}", "Phải nhỏ hơn {n}."),
    rule(r"Input should be a valid integer.*", "Phải là một số nguyên."),
    rule(r"Input should be a valid number.*|Input should be a finite number", "Phải là một số."),
    rule(r"Input should be a valid string", "Phải là chữ."),
    rule(r"Input should be a valid boolean.*", "Phải là có hoặc không."),
    rule(r"Input should be a valid (?:date|datetime|time).*", "Ngày giờ không hợp lệ."),
    rule(r"Input should be (?P<choices>'.+')", "Phải là một trong: {choices}."),
    rule(r"List should have at most (?P<n>\d+) items?.*", "Nhiều nhất {n} mục."),
    rule(r"Extra inputs are not permitted", "Trường này không được nhận."),
    # str() of a pydantic ValidationError (a stored setting that no longer validates): the first
    # error, where and why.
    rule(
        r"\d+ validation errors? for \w+\n(?P<field>[^\n]+)\n +(?P<reason>[^\n]*?)"
        r" \[type=[^\n]*\](?:\n.*)?",
        "{field}: {reason}",
    ),
    rule(r"Scenario not found", "Không tìm thấy kịch bản."),
    rule(r"Scenario not found: it has no approved version", "Kịch bản chưa có phiên bản nào được duyệt."),
    rule(r"Campaign is not found", "Không tìm thấy chiến dịch."),
    rule(r"Application is not found", "Không tìm thấy ứng dụng."),
    rule(r"Internal error", "Lỗi hệ thống."),
    rule(r"Service unavailable", "Hệ thống tạm thời không phục vụ được: hãy thử lại sau."),
)  # fmt: skip
