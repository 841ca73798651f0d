"""Applications and their webhooks (accounts.service, webhooks.guard), an account's TTS
credentials and speech recogniser (accounts.voice_credentials, accounts.speech_settings)."""

from __future__ import annotations

from aicall.dashboard.reasons.rules import rule

RULES = (
    # webhooks.guard.check_webhook_url
    rule(r"(?P<clause>.+ refused: .+) \(AICALL_WEBHOOK_ALLOW_PRIVATE=true on the server allows local "
         r"and private addresses\)",
         "{clause} (AICALL_WEBHOOK_ALLOW_PRIVATE=true trên máy chủ cho phép địa chỉ cục bộ và nội bộ)."),
    rule(r"webhook URL is empty", "Hãy nhập URL webhook."),
    rule(r"webhook URL is longer than (?P<n>\d+) characters", "URL webhook dài quá {n} ký tự."),
    rule(r"webhook URL contains spaces or control characters",
         "URL webhook có khoảng trắng hoặc ký tự điều khiển."),
    rule(r"webhook URL is not a valid URL: (?P<clause>.*)", "URL webhook không hợp lệ: {clause}."),
    rule(r"Port out of range 0-65535", "cổng nằm ngoài khoảng 0-65535"),
    rule(r"Port could not be cast to integer value as '(?P<value>.*)'", "cổng '{value}' không phải số"),
    rule(r"Invalid IPv6 URL", "địa chỉ IPv6 không hợp lệ"),
    rule(r"webhook URL must use http or https \(scheme was (?P<none>.*)\)",
         "URL webhook phải dùng http hoặc https (đang là {none})."),
    rule(r"webhook URL has no host", "URL webhook thiếu tên máy chủ."),
    rule(r"webhook URL host '(?P<value>.*)' is not a valid domain name",
         "Tên máy chủ '{value}' của URL webhook không phải tên miền hợp lệ."),
    # webhooks.schemas.normalise_event_types
    rule(r"unknown event type\(s\) (?P<value>.*); known: .*", "Không có loại sự kiện {value}."),
    # accounts.voice_credentials, accounts.speech_settings
    rule(r"(?P<clause>.+ refused: .+); an address inside the operator's network is set by the operator "
         r"\(aicall voice\)",
         "{clause}; địa chỉ trong mạng nội bộ do người vận hành đặt bằng lệnh aicall voice."),
    rule(r"engine must be one of (?P<choices>.*), not '(?P<value>.*)'",
         "Nhà cung cấp phải là một trong: {choices} (không có '{value}')."),
    rule(r"a token \(Vbee\) or API key \(FPT\.AI\) is required",
         "Hãy nhập token (Vbee) hoặc khóa API (FPT.AI)."),
    rule(r"Vbee needs the app id of the token's application", "Vbee cần app id của ứng dụng sở hữu token."),
    rule(r"must be an http\(s\) URL with a host, e\.g\. (?P<example>\S+)",
         "Phải là URL http(s) có tên máy chủ, ví dụ {example}."),
    rule(r"must not carry a user name or password; give the key on its own",
         "Không được chứa tên đăng nhập hay mật khẩu; hãy nhập khóa ở ô riêng."),
    rule(r"must be one of (?P<choices>.*), or empty for the platform's, not '(?P<value>.*)'",
         "Phải là một trong: {choices}, hoặc để trống để dùng của nền tảng (không có '{value}')."),
    rule(r"must be between (?P<low>[\d.]+) and (?P<high>[\d.]+) seconds", "Phải từ {low} đến {high} giây."),
    rule(r"must be a model name of at most (?P<n>\d+) characters, no spaces",
         "Phải là tên mô hình dài tối đa {n} ký tự, không có khoảng trắng."),
    rule(r"only the openai engine takes a model", "Chỉ bộ nhận dạng openai mới dùng tên mô hình."),
    rule(r"must be at most (?P<n>\d+) printable characters without spaces",
         "Dài tối đa {n} ký tự in được, không có khoảng trắng."),
    rule(r"the openai engine needs the server's URL \(its /v1/audio/transcriptions is called\)",
         "Bộ nhận dạng openai cần URL của máy chủ (hệ thống gọi /v1/audio/transcriptions của nó)."),
    rule(r"the fpt engine needs the account's FPT\.AI API key",
         "Bộ nhận dạng fpt cần khóa API FPT.AI của tài khoản."),
)  # fmt: skip
