"""SIP trunks and hotline pools (hotlines.service, hotlines.identity, telephony.addressing), the
address rule every outgoing connection obeys (aicall.addresses), and phone numbers
(aicall.phones: a pool's numbers, a contact's number)."""

from __future__ import annotations

from aicall.dashboard.reasons.rules import rule

RULES = (
    # aicall.addresses.check_host, with what each caller adds
    rule(r"(?P<who>.+?) refused: (?P<host>\S+) is (?P<why>(?:an?|not a) [\w -]+ address)",
         "Không dùng được {host} cho {who}: đây là {why}."),
    rule(r"(?P<who>.+?) refused: (?P<host>\S+) resolves to an address that is not allowed",
         "Không dùng được {host} cho {who}: tên này trỏ tới một địa chỉ không được phép."),
    rule(r"(?P<clause>.+ refused: .+) \(AICALL_SIP_ALLOW_PRIVATE allows private addresses\)",
         "{clause} (AICALL_SIP_ALLOW_PRIVATE trên máy chủ cho phép địa chỉ nội bộ)."),
    # hotlines.service: trunks
    rule(r"host is required", "Hãy nhập máy chủ (host) của trunk."),
    rule(r"(?P<field>\w+) is longer than (?P<n>\d+) characters", "{field}: dài quá {n} ký tự."),
    rule(r"port (?P<port>-?\d+) is out of range 1-65535", "Cổng {port} nằm ngoài khoảng 1-65535."),
    rule(r"(?:host|from_domain|username|password) (?P<reason>(?:is|holds|may|').*)", "{reason}"),
    rule(r"holds spaces or control characters \(CR, LF\)", "Có khoảng trắng hoặc ký tự điều khiển (CR, LF)."),
    rule(r"'(?P<value>.*)' is not a host name or an IP address",
         "'{value}' không phải tên máy hay địa chỉ IP."),
    rule(r"'(?P<value>.*)' is not a host name or an IP address \(write the port apart\)",
         "'{value}' không phải tên máy hay địa chỉ IP (ghi cổng vào ô Cổng)."),
    rule(r"may hold only letters, digits, .* and %-escapes \(RFC 3261 user\)",
         "Chỉ được có chữ cái, chữ số, các ký tự -_.!~*'()&=+$,;?/ và mã %XX (RFC 3261)."),
    rule(r"holds control characters \(CR, LF, tab\.\.\.\)", "Có ký tự điều khiển (CR, LF, tab...)."),
    rule(r"transport must be (?P<a>\w+) or (?P<b>\w+), the ones the SIP layer dials "
         r"\(TLS: put a session border controller in front\)",
         "Giao thức phải là {a} hoặc {b} (TLS: hãy đặt một session border controller phía trước)."),
    rule(r"--register needs a username", "Đăng ký (REGISTER) với trunk cần tên đăng nhập SIP."),
    rule(r"max_concurrent must be between 1 and (?P<n>\d+)", "Số cuộc gọi cùng lúc phải từ 1 đến {n}."),
    rule(r"no SIP trunk has id (?P<value>.*)", "Không có trunk SIP nào mã {value}."),
    # hotlines.service: pools
    rule(r"pool key is required", "Hãy nhập khóa nhóm."),
    rule(r"pool key is longer than (?P<n>\d+) characters", "Khóa nhóm dài quá {n} ký tự."),
    rule(r"a pool with key '(?P<value>.*)' exists already", "Đã có nhóm số với khóa '{value}'."),
    rule(r"a pool needs at least one number", "Nhóm số cần ít nhất một số gọi ra."),
    rule(r"a pool holds at most (?P<n>\d+) numbers", "Một nhóm có nhiều nhất {n} số."),
    rule(r"'(?P<value>.*)': (?P<reason>phone_number .*)", "'{value}': {reason}"),
    rule(r"per-number concurrency must be between 1 and (?P<n>\d+)",
         "Số cuộc gọi cùng lúc mỗi số phải từ 1 đến {n}."),
    # hotlines.identity: P-Asserted-Identity and Privacy
    rule(r"asserted_identity host (?P<clause>.*)", "Phần máy chủ: {clause}."),
    rule(r"(?:asserted_identity|privacy) (?P<reason>.*)", "{reason}"),
    rule(r"holds spaces, control characters \(CR, LF\) or <>\"",
         "Có khoảng trắng, ký tự điều khiển (CR, LF) hoặc <>\"."),
    rule(r"is not a global tel URI \(RFC 3966\): write it as tel:\+84\.\.\., digits after the \+",
         "Không phải URI tel toàn cầu (RFC 3966): hãy viết dạng tel:+84..., chữ số sau dấu +."),
    rule(r"must be a sip:, sips: or tel: URI, e\.g\. (?P<a>\S+) or (?P<b>\S+)",
         "Phải là URI sip:, sips: hoặc tel:, ví dụ {a} hoặc {b}."),
    rule(r"'(?P<value>.*)' is not a privacy value: use (?P<choices>.*), several joined by ';' .*",
         "'{value}' không phải giá trị Privacy: dùng {choices}, nhiều giá trị thì nối bằng ';' "
         "(RFC 3323 §4.2, RFC 3325 §9.3)."),
    rule(r"names a value twice", "Có giá trị bị lặp lại."),
    rule(r"'none' asks for no privacy: it cannot be combined with other values",
         "'none' nghĩa là không ẩn danh: không dùng chung với giá trị khác được."),
    # aicall.phones
    rule(r"phone_number is required", "Thiếu số điện thoại."),
    rule(r"phone_number must be a string", "Số điện thoại phải được viết dạng chữ."),
    rule(r"phone_number is empty", "Số điện thoại đang trống."),
    rule(r"phone_number is too long", "Số điện thoại quá dài."),
    rule(r"phone_number is too short", "Số điện thoại quá ngắn."),
    rule(r"phone_number must not be negative", "Số điện thoại không được là số âm."),
    rule(r"phone_number may hold only digits, spaces, .*, not '(?P<char>.*)'",
         "Số điện thoại chỉ được có chữ số, khoảng trắng và các ký tự + . - ( ) /, không có '{char}'."),
    rule(r"phone_number may hold only digits, spaces, .*, and '\+' only first",
         "Số điện thoại chỉ được có chữ số, khoảng trắng và các ký tự + . - ( ) /; dấu + chỉ ở đầu."),
    rule(r"phone_number is not a valid phone number", "Không phải số điện thoại hợp lệ."),
    rule(r"phone_number has an unknown country code", "Số điện thoại có mã quốc gia không tồn tại."),
    rule(r"phone_number has an invalid length", "Số điện thoại có độ dài không hợp lệ."),
)  # fmt: skip
