"""Which URLs may receive webhooks: http(s), and (unless allowed) public addresses only."""

from __future__ import annotations

import pytest

from aicall.webhooks.cli import InvalidWebhookUrl, check_webhook_url


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("", "webhook URL is empty"),
        ("not a url", "webhook URL contains spaces or control characters"),
        ("https:///hook", "webhook URL has no host"),
        ("http://example.com:99999/hook", "webhook URL is not a valid URL"),
        ("http://exa..mple.com/hook", "is not a valid domain name"),
        ("https://" + "a" * 2100 + ".com/", "longer than 2048 characters"),
    ],
)
def test_a_malformed_url_is_refused_with_the_reason(url, message):
    with pytest.raises(InvalidWebhookUrl, match=message):
        check_webhook_url(url, allow_private=True)


@pytest.mark.parametrize(
    "url", ["ftp://example.com/hook", "file:///etc/passwd", "javascript:alert(1)", "example.com/hook"]
)
def test_only_http_and_https_are_accepted(url):
    with pytest.raises(InvalidWebhookUrl, match="must use http or https"):
        check_webhook_url(url, allow_private=True)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1:8000/hook", "127.0.0.1 is a loopback address"),
        ("http://localhost/hook", "localhost resolves to an address that is not allowed"),
        ("http://10.1.2.3/hook", "a private address"),
        ("http://192.168.1.10/hook", "a private address"),
        ("http://172.16.0.1/hook", "a private address"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a cloud metadata address"),
        ("http://[fd00:ec2::254]/", "fd00:ec2::254 is a cloud metadata address"),
        ("http://169.254.1.1/", "a link-local address"),
        ("http://[::1]/hook", "a loopback address"),
        ("http://[::ffff:127.0.0.1]/hook", "a loopback address"),  # IPv4 inside IPv6
        ("http://0.0.0.0/hook", "an unspecified address"),
        ("http://224.0.0.1/hook", "a multicast address"),
        ("http://100.64.0.1/hook", "not a public address"),  # carrier-grade NAT
        ("http://2130706433/hook", "2130706433 resolves to an address that is not allowed"),  # 127.0.0.1
    ],
)
def test_a_private_destination_is_refused_unless_allowed(url, reason):
    with pytest.raises(InvalidWebhookUrl, match="webhook URL refused: .*" + reason):
        check_webhook_url(url, allow_private=False)
    assert check_webhook_url(url, allow_private=True)  # AICALL_WEBHOOK_ALLOW_PRIVATE=1


def test_a_refused_name_does_not_tell_what_it_resolves_to():
    # The operator's DNS answers are not the customer's to read (issue 11): no address, no kind.
    with pytest.raises(InvalidWebhookUrl) as refused:
        check_webhook_url("http://localhost:8000/hook", allow_private=False)
    message = str(refused.value)
    assert message == (
        "webhook URL refused: localhost resolves to an address that is not allowed"
        " (AICALL_WEBHOOK_ALLOW_PRIVATE=true on the server allows local and private addresses)"
    )
    assert "127.0.0.1" not in message and "::1" not in message and "loopback" not in message


def test_a_url_is_normalised():
    assert check_webhook_url(" HTTPS://Hooks.Example.COM/in?x=1#frag ", allow_private=True) == (
        "https://hooks.example.com/in?x=1"
    )
    assert (
        check_webhook_url("https://bücher.example/hook", allow_private=True)
        == "https://xn--bcher-kva.example/hook"
    )
    assert check_webhook_url("http://8.8.8.8", allow_private=False) == "http://8.8.8.8/"


def test_a_name_that_does_not_resolve_yet_is_accepted_and_checked_again_at_delivery():
    url = "https://hooks.invalid/aicall"  # .invalid never resolves (RFC 2606)
    assert check_webhook_url(url, allow_private=False) == url
