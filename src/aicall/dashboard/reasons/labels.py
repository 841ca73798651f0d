"""Words for the codes a reason carries: field names, statuses, action types, address kinds.

A rule's group named after one of these tables (`field`, `status`, `kind`, ...; a digit may
follow: `field2`) is shown by its label, translated; a code no table knows is shown as it is.
"""

from __future__ import annotations

import re

__all__ = ["FIELDS", "GROUPS", "field_label_text"]

# Inputs and settings as the services name them (API paths, snake or camel case) -> the label
# the forms give them.
FIELDS = {
    # campaigns
    "name": "Tên",
    "scenario_id": "Kịch bản của chiến dịch",
    "scenarioId": "Kịch bản của chiến dịch",
    "settings": "Cài đặt gọi",
    "pool_hotline_key": "Nhóm số gọi ra",
    "poolHotlineKey": "Nhóm số gọi ra",
    "timezone": "Múi giờ",
    "days": "Ngày trong tuần",
    "hours": "Giờ gọi",
    "start_date": "Từ ngày",
    "end_date": "Đến ngày",
    "max_concurrent": "Số cuộc gọi đồng thời",
    "calls_per_second": "Cuộc gọi mới mỗi giây",
    "record": "Ghi âm cuộc gọi",
    "retry": "Gọi lại theo kết quả",
    "amd": "Phát hiện máy trả lời tự động",
    "amd_mode": "Lời chào phát",
    "voicemail_action": "Khi gặp hộp thư thoại",
    "voicemail_message_action_id": "Khi gặp hộp thư thoại",
    "actions": "Kịch bản của chiến dịch",
    "personalizedFields": "Trường cá nhân hoá",
    "ttsConfig": "Giọng đọc",
    "dialect": "Vùng miền",
    # trunks and pools
    "host": "Máy chủ (host)",
    "port": "Cổng",
    "transport": "Giao thức",
    "username": "Tên đăng nhập SIP",
    "password": "Mật khẩu SIP",
    "from_domain": "Tên miền From",
    "key": "Khóa nhóm (poolHotlineKey)",
    "numbers": "Số gọi ra",
    "trunk_id": "Gọi qua",
    "per_number_concurrency": "Cuộc gọi cùng lúc mỗi số",
    "asserted_identity": "Danh tính người gọi (P-Asserted-Identity)",
    "privacy": "Ẩn danh (Privacy)",
    # applications, voice, files
    "webhook_url": "URL webhook",
    "file": "Tệp",
    "mapping": "Ghép cột",
}

STATUSES = {
    "draft": "Nháp",
    "running": "Đang chạy",
    "paused": "Tạm dừng",
    "completed": "Hoàn thành",
    "cancelled": "Đã huỷ",
    "DRAFT": "Nháp",
    "REVIEWING": "Chờ duyệt",
    "ACTIVE": "Đã duyệt",
    "REJECT": "Bị từ chối",
}

ACTION_TYPES = {
    "OUTBOUND_CALL": "Bắt đầu cuộc gọi",
    "INTERACTIVE_MENU": "Menu hỏi đáp",
    "PLAY_MESSAGE": "Phát thông báo",
    "END_CALL": "Kết thúc cuộc gọi",
    "TRANSFER_CALL": "Chuyển cuộc gọi",
}

# addresses.check_host: who refuses an address, and why (addresses.blocked_reason)
WHO = {
    "SIP trunk host": "máy chủ trunk SIP",
    "webhook URL": "URL webhook",
    "a speech vendor": "dịch vụ giọng nói",
}
WHY = {
    "a cloud metadata address": "địa chỉ metadata của dịch vụ đám mây",
    "an unspecified address": "địa chỉ không xác định",
    "a loopback address": "địa chỉ loopback của chính máy chủ",
    "a link-local address": "địa chỉ link-local",
    "a multicast address": "địa chỉ multicast",
    "a private address": "địa chỉ mạng nội bộ",
    "a reserved address": "địa chỉ dành riêng",
    "not a public address": "không phải địa chỉ công khai",
}

UNITS = {"hour": "giờ", "minute": "phút", "second": "giây"}
# what a campaign's status does not allow ("A completed campaign cannot be changed")
ACTIONS = {"started": "bắt đầu", "paused": "tạm dừng", "resumed": "tiếp tục", "changed": "thay đổi"}
NOTHING = {"none": "không có"}  # "(columns: none)", "(scheme was none)"

GROUPS: dict[str, dict[str, str]] = {
    "status": STATUSES,
    "kind": ACTION_TYPES,
    "who": WHO,
    "why": WHY,
    "unit": UNITS,
    "action": ACTIONS,
    "none": NOTHING,
}

_INDEX = re.compile(r"\[[^\]]*\]")


def field_label_text(path: str) -> str | None:
    """The Vietnamese label of a field path (`settings.pool_hotline_key`, `retry.busy.interval`,
    `actions[start].contentText`): the path itself, then without `settings.`, then its first
    part; None when none is known."""
    plain = path.removeprefix("settings.")
    for candidate in (path, plain, _INDEX.sub("", plain).split(".")[0]):
        if candidate in FIELDS:
            return FIELDS[candidate]
    return None
