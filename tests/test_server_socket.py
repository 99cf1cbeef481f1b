"""The real server, started as the launcher starts it, spoken to over a real socket."""

from __future__ import annotations

import http.client
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from passport.keyroot import REPOSITORY

REFUSED = "Ouvre ton passeport depuis ta clé"


@dataclass
class Server:
    process: subprocess.Popen
    url: str

    @property
    def port(self) -> int:
        return urlsplit(self.url).port

    @property
    def secret(self) -> str:
        return urlsplit(self.url).query.partition("=")[2]

    def request(self, path: str, host: str | None = None, headers: dict | None = None, method: str = "GET", body=None):
        """A raw request: ``Host`` exactly as given (none at all when ``host`` is empty)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            connection.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
            if host:
                connection.putheader("Host", host)
            for name, value in (headers or {}).items():
                connection.putheader(name, value)
            if body is not None:
                connection.putheader("Content-Length", str(len(body)))
            connection.endheaders(body)
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read().decode()
        finally:
            connection.close()

    def raw(self, request: bytes) -> bytes:
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as conn:
            conn.sendall(request)
            conn.shutdown(socket.SHUT_WR)
            chunks = []
            while chunk := conn.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    process = subprocess.Popen(
        [sys.executable, "-m", "passport", "--key", str(tmp_path / "KEY"), "--no-browser"],
        cwd=REPOSITORY,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), process.stderr.read()
        yield Server(process, url)
    finally:
        process.terminate()
        process.wait(timeout=10)


def listening_addresses(port: int) -> set[str]:
    """Local addresses with a listening TCP socket on ``port``, from the kernel's own table."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        if not Path(table).exists():
            continue
        for line in Path(table).read_text().splitlines()[1:]:
            local, state = line.split()[1], line.split()[3]
            address, _, hex_port = local.partition(":")
            if int(hex_port, 16) == port and state == "0A":  # 0A: LISTEN
                found.add(address)
    return found


def cannot_connect(address: str, port: int) -> bool:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.settimeout(2)
        try:
            probe.connect((address, port))
        except OSError:
            return True
    return False


def other_addresses_of_this_machine() -> set[str]:
    """This machine's non-loopback IPv4 addresses (none on a machine without network)."""
    try:
        infos = socket.getaddrinfo(socket.gethostname(), None, socket.AF_INET)
    except OSError:
        return set()
    return {info[4][0] for info in infos} - {a for a in (i[4][0] for i in infos) if a.startswith("127.")}


def test_the_server_listens_on_127_0_0_1_only(server):
    if Path("/proc/net/tcp").exists():
        assert listening_addresses(server.port) == {"0100007F"}  # 127.0.0.1, nothing else
    assert not cannot_connect("127.0.0.1", server.port)
    assert cannot_connect("127.0.0.2", server.port)  # still loopback: refused only if bound to .1
    if socket.has_ipv6:
        assert cannot_connect("::1", server.port)
    for address in other_addresses_of_this_machine():
        assert cannot_connect(address, server.port)


def test_the_real_server_refuses_every_other_host_and_lets_the_secret_in_once(server):
    port = server.port
    for host in [
        "evil.example",
        f"evil.example:{port}",
        f"0177.0.0.1:{port}",
        f"127.1:{port}",
        f"localhost:{port}",
        f"localhost.:{port}",
        f"[::1]:{port}",
        f"127.0.0.1:{port + 1}",
        "127.0.0.1",
    ]:
        status, _, body = server.request("/", host)
        assert status == 400 and REFUSED in body, host
        status, headers, body = server.request(f"/entrer?jeton={server.secret}", host)
        assert status == 400 and "Set-Cookie" not in headers, host
    assert server.raw(b"GET / HTTP/1.0\r\n\r\n").startswith(b"HTTP/1.0 400")
    absolute = f"GET http://127.0.0.1:{port}/ HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n"
    assert server.raw(absolute.encode()).startswith(b"HTTP/1.1 400")

    ours = f"127.0.0.1:{port}"
    status, _, body = server.request("/", ours)
    assert status == 403 and REFUSED in body

    status, headers, body = server.request(f"/entrer?jeton={server.secret}", ours)
    assert status == 200 and server.secret not in body
    cookie = headers["Set-Cookie"]
    assert cookie.startswith(f"passeport-{port}=") and "HttpOnly" in cookie and "SameSite=Strict" in cookie
    session = cookie.split(";")[0]

    status, _, body = server.request("/", ours, {"Cookie": session})
    assert status == 200 and "Bienvenue dans ton passeport" in body
    status, headers, _ = server.request(f"/entrer?jeton={server.secret}", ours)
    assert status == 403 and "Set-Cookie" not in headers

    form = b"first_name=Mallory&csrf_token=x"
    status, _, _ = server.request(
        "/profil", ours, {"Cookie": session, "Origin": "http://evil.example",
                          "Content-Type": "application/x-www-form-urlencoded"}, "POST", form,
    )  # fmt: skip
    assert status in (400, 403)
    assert "Mallory" not in server.request("/profil", ours, {"Cookie": session})[2]

    server.process.terminate()
    out, err = server.process.communicate(timeout=10)
    assert server.secret not in out + err  # only on the first line, which the fixture read
    assert "jeton" not in out + err
