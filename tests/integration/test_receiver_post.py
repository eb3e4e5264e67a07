"""The one POST to a receiver, against real sockets on 127.0.0.1: a slow receiver costs at most the deadline, a
receiver that talks too much is read only so far, and the request is what Standard Webhooks receivers expect."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

import pytest

from leadwire.outbound.receivers import RefusedUrl, Unreachable, post


@contextmanager
def raw_receiver(behave: Callable[[socket.socket], None]) -> Iterator[str]:
    """A TCP server on 127.0.0.1 that hands each connection to `behave`; yields its http URL."""
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            with connection:
                behave(connection)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}/hook"
    finally:
        stop.set()
        thread.join(timeout=5)
        server.close()


def read_request(connection: socket.socket) -> bytes:
    data = b""
    connection.settimeout(5)
    while b"\r\n\r\n" not in data:
        data += connection.recv(4096)
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length")))
    while len(body) < length:
        body += connection.recv(4096)
    return head + b"\r\n\r\n" + body


def test_the_request_carries_the_body_and_headers_and_the_answer_status_is_read():
    seen: list[bytes] = []

    def answer(connection: socket.socket) -> None:
        seen.append(read_request(connection))
        connection.sendall(b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n")

    with raw_receiver(answer) as url:
        got = post(url, b'{"type":"lead.assigned"}', {"webhook-id": "evt.crm"}, allow_local=True)

    assert got.status == 202
    (request,) = seen
    assert request.startswith(b"POST /hook HTTP/1.1\r\n")
    assert b"\r\nwebhook-id: evt.crm\r\n" in request and b"\r\nContent-Type: application/json\r\n" in request
    assert request.endswith(b'\r\n\r\n{"type":"lead.assigned"}')


def test_a_receiver_that_never_answers_costs_at_most_the_deadline():
    released = threading.Event()

    def hang(connection: socket.socket) -> None:
        read_request(connection)
        released.wait(10)

    with raw_receiver(hang) as url:
        with pytest.raises(Unreachable):
            post(url, b"{}", {}, allow_local=True, timeout_s=0.5)
        released.set()


def test_a_receiver_that_drips_its_answer_is_cut_off_by_the_one_deadline():
    released = threading.Event()

    def drip(connection: socket.socket) -> None:
        read_request(connection)
        connection.sendall(b"HTTP/1.1 200 OK\r\n")
        while not released.wait(0.1):  # a header byte every 100 ms: each read succeeds, the whole never ends
            try:
                connection.sendall(b"X")
            except OSError:
                return

    with raw_receiver(drip) as url:
        with pytest.raises(Unreachable):
            post(url, b"{}", {}, allow_local=True, timeout_s=0.5)
        released.set()


def test_a_huge_answer_is_read_only_up_to_the_limit():
    def flood(connection: socket.socket) -> None:
        read_request(connection)
        with suppress(OSError):  # the client stops reading, as it should
            connection.sendall(b"HTTP/1.1 500 Oops\r\nX-Junk: " + b"j" * 1_000_000)

    with raw_receiver(flood) as url:
        assert post(url, b"{}", {}, allow_local=True).status == 500


def test_a_closed_port_is_unreachable_and_plain_http_is_refused_outside_the_local_stack():
    with raw_receiver(lambda connection: None) as url:
        closed = url
    with pytest.raises(Unreachable):
        post(closed, b"{}", {}, allow_local=True)
    with pytest.raises(RefusedUrl):
        post(closed, b"{}", {})
