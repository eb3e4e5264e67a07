"""The owner's receivers: which URLs leadwire may call, and the one bounded POST that calls them.

Server-side request forgery is refused twice: a subscription's URL must be https with a host that is not an
internal address (written in any form: IPv4, IPv6, IPv4-mapped, decimal, octal or hexadecimal), and every delivery
resolves the host again and refuses it when any answer points inside (private, loopback, link-local and so the
instance metadata service, shared, reserved, multicast). The connection then goes to the address that was checked,
so a second DNS answer cannot swap it. The local stack alone may call http://127.0.0.1 (and ::1), for tests.

A slow receiver never holds anything up for long: one deadline covers connecting, sending and reading, and only the
status line and headers of the answer are read, up to a few kilobytes.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

TIMEOUT_S = 5.0
MAX_ANSWER_BYTES = 4096
MAX_URL_LENGTH = 2048

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]
NAT64 = ipaddress.ip_network("64:ff9b::/96")


class RefusedUrl(ValueError):
    """A URL leadwire will not call; the message says why (for the owner, never with the URL itself)."""


class Unreachable(Exception):
    """The receiver could not be reached or did not answer in time."""


@dataclass(frozen=True)
class Answer:
    status: int
    retry_after_s: float | None = None


def legacy_ipv4(host: str) -> ipaddress.IPv4Address | None:
    """A host that the C resolver reads as an IPv4 address although it is not dotted-quad: `2130706433`,
    `0177.0.0.1`, `0x7f.1`, `127.1` (every part a decimal, octal or hexadecimal number, at most four parts)."""
    parts = host.split(".")
    if not 1 <= len(parts) <= 4:
        return None
    numbers = []
    for part in parts:
        try:
            numbers.append(int(part, 16) if part.lower().startswith("0x") else
                           int(part, 8) if len(part) > 1 and part.startswith("0") else int(part, 10))
        except ValueError:
            return None
    *leading, last = numbers
    if any(number > 255 for number in leading) or last >= 256 ** (5 - len(numbers)):
        return None
    value = 0
    for number in leading:
        value = value << 8 | number
    return ipaddress.IPv4Address(value << 8 * (4 - len(leading)) | last)


def literal_address(host: str) -> IpAddress | None:
    """The address a host names by itself, in whichever notation, or None for a name that needs DNS."""
    bare = host.strip("[]").split("%")[0].rstrip(".")
    try:
        return ipaddress.ip_address(bare)
    except ValueError:
        return legacy_ipv4(bare)


def is_internal(address: IpAddress) -> bool:
    """Anything that is not a public unicast address, including IPv4 carried inside IPv6."""
    if isinstance(address, ipaddress.IPv6Address):
        embedded = address.ipv4_mapped or address.sixtofour or (address.teredo or (None, None))[1]
        if embedded is None and address in NAT64:
            embedded = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
        if embedded is not None and is_internal(embedded):
            return True
    return not address.is_global or address.is_multicast


def _is_local_test_address(address: IpAddress) -> bool:
    return address in (ipaddress.IPv4Address("127.0.0.1"), ipaddress.IPv6Address("::1"))


def check_url(url: str, allow_local: bool = False) -> SplitResult:
    """The URL's parts when leadwire may call it; RefusedUrl saying why otherwise (no DNS lookup here)."""
    if len(url) > MAX_URL_LENGTH or any(char.isspace() or ord(char) < 32 or ord(char) == 127 for char in url):
        raise RefusedUrl("a URL of at most 2048 characters without spaces or control characters")
    if not url.isascii():
        raise RefusedUrl("a URL in ASCII: write the host in punycode (xn--…) and escape the path")
    try:
        parts = urlsplit(url)
    except ValueError as error:
        raise RefusedUrl("the URL cannot be read (a bracket left open?)") from error
    try:
        port = parts.port
    except ValueError as error:
        raise RefusedUrl("the port is not a number from 1 to 65535") from error
    host = parts.hostname or ""
    if not host:
        raise RefusedUrl("the URL has no host")
    if parts.username is not None or parts.password is not None:
        raise RefusedUrl("credentials in the URL are not allowed; put secrets in the path")
    if port == 0:
        raise RefusedUrl("the port is not a number from 1 to 65535")
    address = literal_address(host)
    local = allow_local and address is not None and _is_local_test_address(address)
    if parts.scheme != "https" and not (local and parts.scheme == "http"):
        raise RefusedUrl("the URL must start with https://")
    if address is not None and is_internal(address) and not local:
        raise RefusedUrl("the host is an internal address")
    if host.rstrip(".").lower() in ("localhost", "localhost.localdomain") or host.lower().endswith(".localhost"):
        raise RefusedUrl("the host is an internal address")
    return parts


def system_resolver(host: str, port: int) -> list[str]:
    try:
        answers = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as error:
        raise Unreachable(f"the host does not resolve ({type(error).__name__})") from error
    return [str(answer[4][0]) for answer in answers]


def vetted_address(url: str, allow_local: bool = False, resolve: Resolver = system_resolver) -> tuple[str, int]:
    """(address, port) to connect to: the URL checked, its host resolved now, and every answer public (one internal
    answer refuses the host: a name that points inside is not a receiver)."""
    parts = check_url(url, allow_local)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    host = parts.hostname or ""
    literal = literal_address(host)
    if literal is not None:
        return str(literal), port
    found = [ipaddress.ip_address(answer.split("%")[0]) for answer in resolve(host, port)]
    if not found:
        raise Unreachable("the host does not resolve")
    if any(is_internal(address) and not (allow_local and _is_local_test_address(address)) for address in found):
        raise RefusedUrl("the host resolves to an internal address")
    return str(found[0]), port


def post(url: str, body: bytes, headers: dict[str, str], allow_local: bool = False, timeout_s: float = TIMEOUT_S,
         resolve: Resolver = system_resolver) -> Answer:
    """POST `body` as JSON; the answer's status (and Retry-After). RefusedUrl or Unreachable when there is none."""
    address, port = vetted_address(url, allow_local, resolve)
    parts = urlsplit(url)
    deadline = time.monotonic() + timeout_s
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    host_header = parts.netloc.rpartition("@")[2]
    lines = [f"POST {path} HTTP/1.1", f"Host: {host_header}", "Content-Type: application/json",
             f"Content-Length: {len(body)}", "Connection: close", "User-Agent: leadwire-webhooks/1"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
    try:
        with socket.create_connection((address, port), timeout=timeout_s) as raw:
            connection = raw
            if parts.scheme == "https":
                connection = ssl.create_default_context().wrap_socket(raw, server_hostname=parts.hostname)
            connection.settimeout(_left(deadline))
            connection.sendall(request)
            answer = b""
            while b"\r\n\r\n" not in answer and len(answer) < MAX_ANSWER_BYTES:
                connection.settimeout(_left(deadline))
                chunk = connection.recv(MAX_ANSWER_BYTES - len(answer))
                if not chunk:
                    break
                answer += chunk
    except (OSError, ssl.SSLError) as error:
        raise Unreachable(type(error).__name__) from error
    return parse_answer(answer)


def _left(deadline: float) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("the receiver took too long")
    return left


def parse_answer(answer: bytes) -> Answer:
    """The status line and Retry-After of what a receiver sent back (the rest is not read)."""
    head = answer.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    status_line, *header_lines = head.split("\r\n")
    fields = status_line.split(" ", 2)
    if len(fields) < 2 or not fields[0].startswith("HTTP/") or not fields[1].isdigit():
        raise Unreachable("the receiver did not answer HTTP")
    retry_after = None
    for line in header_lines:
        name, _, value = line.partition(":")
        if name.strip().lower() == "retry-after" and value.strip().isdigit():
            retry_after = float(value.strip())
    return Answer(int(fields[1]), retry_after)
