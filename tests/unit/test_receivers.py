"""Which receivers leadwire may call: no server-side request forgery, in any notation, through DNS or not."""

from __future__ import annotations

import ipaddress
import socket

import pytest

from leadwire.outbound.receivers import (
    RefusedUrl,
    Unreachable,
    check_url,
    is_internal,
    legacy_ipv4,
    parse_answer,
    vetted_address,
)

INTERNAL_HOSTS = [
    "10.0.0.1", "172.16.5.4", "192.168.1.1", "127.0.0.1", "127.8.9.10", "0.0.0.0", "169.254.169.254",
    "100.64.0.1", "198.18.0.1", "224.0.0.1", "255.255.255.255",
    "[::1]", "[::]", "[fe80::1]", "[fd00:ec2::254]", "[fc00::5]", "[ff02::1]",
    "[::ffff:127.0.0.1]", "[::ffff:169.254.169.254]", "[::ffff:10.1.2.3]", "[::ffff:7f00:1]",
    "[64:ff9b::a9fe:a9fe]", "[2002:7f00:1::]", "[2002:a00:1::]",
    "2130706433", "017700000001", "0x7f000001", "0177.0.0.1", "0x7f.0.0.1", "127.1", "0x7f.1", "10.1",
    "0", "0x0", "169.254.43518", "0xa9.0xfe.0xa9.0xfe", "0251.0376.0251.0376", "127.0.0.1.",
]


@pytest.mark.parametrize("host", INTERNAL_HOSTS)
def test_an_internal_address_in_any_notation_is_refused(host: str) -> None:
    with pytest.raises(RefusedUrl, match="internal"):
        check_url(f"https://{host}/hook")


@pytest.mark.parametrize("host", ["localhost", "LOCALHOST.", "api.localhost"])
def test_localhost_names_are_refused(host: str) -> None:
    with pytest.raises(RefusedUrl, match="internal"):
        check_url(f"https://{host}/hook")


@pytest.mark.parametrize("host", ["hooks.example.com", "93.184.216.34", "[2606:4700:4700::1111]", "8.8.8.8"])
def test_a_public_https_receiver_is_allowed(host: str) -> None:
    assert check_url(f"https://{host}/hook?x=1").scheme == "https"


@pytest.mark.parametrize("text", ["2130706433", "017700000001", "0x7f000001", "0177.0.0.1", "0x7f.0.0.1", "127.1",
                                  "10.1", "0", "169.254.43518", "0251.0376.0251.0376", "1.2.3.4", "192.168.0x1.1"])
def test_legacy_ipv4_forms_read_as_the_c_library_reads_them(text: str) -> None:
    # inet_aton only parses text: no socket is opened
    assert legacy_ipv4(text) == ipaddress.IPv4Address(socket.inet_aton(text))


@pytest.mark.parametrize("text", ["example", "1.2.3.4.5", "256.1.1.1", "1.2.3.0x100", "08.1.1.1", "1..2", "0x"])
def test_names_and_impossible_numbers_are_not_addresses(text: str) -> None:
    assert legacy_ipv4(text) is None
    with pytest.raises(OSError):
        socket.inet_aton(text)


def test_mapped_and_embedded_public_addresses_stay_public() -> None:
    assert not is_internal(ipaddress.ip_address("::ffff:8.8.8.8"))
    assert not is_internal(ipaddress.ip_address("2606:4700:4700::1111"))
    assert is_internal(ipaddress.ip_address("::ffff:192.168.0.1"))


@pytest.mark.parametrize("url, reason", [
    ("http://hooks.example.com/x", "https"), ("ftp://hooks.example.com/x", "https"), ("hooks.example.com/x", "host"),
    ("https://user:pw@hooks.example.com/x", "credentials"), ("https://hooks.example.com/a b", "spaces"),
    ("https://hooks.example.com/\r\nX: y", "control"), ("https://hooks.example.com:99999/x", "port"),
    ("https:///x", "host"), ("https://[::1/x", "cannot be read"), ("https://bücher.example/x", "punycode"),
])
def test_malformed_or_plain_http_urls_are_refused_with_the_reason(url: str, reason: str) -> None:
    with pytest.raises(RefusedUrl, match=reason):
        check_url(url)


def test_only_the_local_stack_may_call_plain_http_on_loopback() -> None:
    assert check_url("http://127.0.0.1:8123/hook", allow_local=True).port == 8123
    assert check_url("http://[::1]:8123/hook", allow_local=True).port == 8123
    with pytest.raises(RefusedUrl):
        check_url("http://127.0.0.1:8123/hook")
    for still_refused in ("http://10.0.0.1/hook", "http://169.254.169.254/latest", "http://localhost:80/",
                          "http://127.0.0.2/"):
        with pytest.raises(RefusedUrl):
            check_url(still_refused, allow_local=True)


def resolver(*answers: str):
    def resolve(host: str, port: int) -> list[str]:
        assert host == "hooks.example.com"
        return list(answers)
    return resolve


@pytest.mark.parametrize("answers", [("10.0.0.5",), ("93.184.216.34", "127.0.0.1"), ("::ffff:10.0.0.1",),
                                     ("169.254.169.254",), ("fd00:ec2::254",), ("fe80::1%eth0",), ("::1",)])
def test_a_name_whose_dns_answers_point_inside_is_refused_at_delivery(answers: tuple[str, ...]) -> None:
    with pytest.raises(RefusedUrl, match="resolves to an internal address"):
        vetted_address("https://hooks.example.com/x", resolve=resolver(*answers))


def test_a_public_name_connects_to_the_address_that_was_checked() -> None:
    assert vetted_address("https://hooks.example.com/x", resolve=resolver("93.184.216.34", "2606:2800::1")) == \
        ("93.184.216.34", 443)
    assert vetted_address("https://hooks.example.com:8443/x", resolve=resolver("93.184.216.34")) == \
        ("93.184.216.34", 8443)


def test_a_name_that_does_not_resolve_is_unreachable() -> None:
    with pytest.raises(Unreachable):
        vetted_address("https://hooks.example.com/x", resolve=resolver())


def test_the_local_stack_accepts_a_name_for_loopback_only() -> None:
    assert vetted_address("https://hooks.example.com/x", allow_local=True, resolve=resolver("127.0.0.1"))[0] == \
        "127.0.0.1"
    with pytest.raises(RefusedUrl):
        vetted_address("https://hooks.example.com/x", allow_local=True, resolve=resolver("10.0.0.1"))


def test_only_the_status_line_and_retry_after_of_an_answer_are_read() -> None:
    assert parse_answer(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok").status == 200
    limited = parse_answer(b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 30\r\n\r\n")
    assert (limited.status, limited.retry_after_s) == (429, 30.0)
    with pytest.raises(Unreachable):
        parse_answer(b"SSH-2.0-OpenSSH_9.6\r\n")
    with pytest.raises(Unreachable):
        parse_answer(b"")
