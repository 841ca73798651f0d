"""Campaigns: the settings' rules (campaigns.settings), the voicemail message
(campaigns.voicemail), why a campaign cannot start (campaigns.lifecycle.check_ready, also the
detail of a `cannot_dial` pause) and the status rules (campaigns.lifecycle)."""

from __future__ import annotations

from aicall.dashboard.reasons.rules import rule

RULES = (
    # campaigns.settings.CampaignSettings
    rule(r"unknown time zone '(?P<value>.*)': use an IANA name such as .*", "Múi giờ không tồn tại."),
    rule(r"no public holidays known for '(?P<value>.*)': use a country code such as .*",
         "Không có lịch nghỉ lễ của '{value}': hãy dùng mã quốc gia, ví dụ VN."),
    rule(r"unknown day .*: use mon\.\.sun or 0 \(Monday\)\.\.6", "Ngày không hợp lệ."),
    rule(r"days must name at least one day", "Chọn ít nhất một ngày."),
    rule(r"days names at most (?P<n>\d+) days, not (?P<m>\d+)", "Chọn nhiều nhất {n} ngày."),
    rule(r"retry: unknown outcome '(?P<value>.*)'; use .*",
         "Không có kết quả cuộc gọi '{value}' để đặt cách gọi lại."),
    rule(r"hour range ends \(.*\) before it starts \(.*\)", "Giờ kết thúc phải sau giờ bắt đầu."),
    rule(r"hours must hold at least one range", "Nhập ít nhất một khung giờ."),
    rule(r"end_date is before start_date", "Ngày kết thúc trước ngày bắt đầu."),
    rule(r"advertising_end is not after advertising_start",
         "Giờ kết thúc gọi quảng cáo phải sau giờ bắt đầu."),
    rule(r"voicemail_action leave_message needs voicemail_message_action_id: .*",
         "Để lại lời nhắn cần chọn lời nhắn: một hành động “Phát thông báo” của kịch bản."),
    rule(r"voicemail_action leave_message needs amd true: .*",
         "Để lại lời nhắn cần bật phát hiện máy trả lời tự động."),
    # campaigns.settings.voicemail_message_problem
    rule(r"the scenario has no action '(?P<value>.*)'", "Kịch bản không có hành động '{value}'."),
    rule(r"action '(?P<value>.*)' is a (?P<kind>\w+): the voicemail message must be a PLAY_MESSAGE",
         "Hành động '{value}' là “{kind}”: lời nhắn để lại phải là một hành động “Phát thông báo”."),
    # campaigns.lifecycle.check_ready (NO_SCENARIO, unregistered_pool)
    rule(r"the campaign has no scenario \(nothing to say to the people it calls\): "
         r"give it an approved \(ACTIVE\) scenario",
         "Chiến dịch chưa có kịch bản (không có gì để nói với người được gọi): "
         "hãy chọn một kịch bản đã duyệt."),
    rule(r"the scenario does not exist", "Kịch bản không tồn tại."),
    rule(r"the scenario is (?P<status>\w+): only an approved \(ACTIVE\) scenario can be dialled",
         "Kịch bản đang ở trạng thái “{status}”: chỉ gọi được bằng kịch bản đã duyệt."),
    rule(r"no hotline pool has key '(?P<value>.*)'", "Không có nhóm số nào có khóa '{value}'."),
    rule(r"the advertising policy needs a pool registered for advertising \(brand-name numbers, "
         r"Decree 91/2020/ND-CP\); pool '(?P<value>.*)' is not",
         "Chiến dịch quảng cáo phải gọi từ nhóm số đã đăng ký quảng cáo (số định danh thương hiệu, "
         "Nghị định 91/2020/NĐ-CP); nhóm '{value}' chưa đăng ký."),
    # campaigns.lifecycle and campaigns.service: what a status allows
    rule(r"A (?P<status>\w+) campaign cannot be (?P<action>started|paused|resumed|changed)",
         "Không thể {action} chiến dịch ở trạng thái “{status}”."),
    rule(r"The campaign is already (?P<status>\w+)", "Chiến dịch đã ở trạng thái “{status}”."),
    rule(r"A running campaign's scenario cannot be changed: pause it first",
         "Chiến dịch đang chạy: hãy tạm dừng trước khi đổi kịch bản."),
)  # fmt: skip
