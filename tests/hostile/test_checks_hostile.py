"""Issue 12, http checks under a hostile state file: the URL reaches curl only after `--`, only http(s) is
fetched (redirects included), and validate refuses anything else with file:line:col."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tempoctl.desired.models import HttpCheck
from tempoctl.observed.checks import read_http
from tempoctl.observed.host.transport import LocalTransport
from tests.conftest import Workspace
from tests.hosts.support import write_env


class _Listener:
    """A raw TCP listener that records whatever bytes reach it (a stand-in for a local Redis)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.received = b""
        self._stop = False
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            conn.settimeout(1)
            try:
                self.received += conn.recv(4096)
            except OSError:
                pass
            conn.close()

    def close(self) -> None:
        self._stop = True
        self.thread.join()
        self.sock.close()


@pytest.fixture
def listener() -> Iterator[_Listener]:
    lst = _Listener()
    yield lst
    lst.close()


def _unchecked(url: str) -> HttpCheck:
    """An HttpCheck that skipped validation, to prove the command itself is safe too."""
    return HttpCheck.model_construct(url=url, expect_status=200, expect_body=None, timeout=2.0)


@pytest.fixture
def http_ok() -> Iterator[int]:
    class Ok(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Ok)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield server.server_address[1]
    server.shutdown()


def test_url_starting_with_dash_is_not_a_curl_option(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                     http_ok: int) -> None:
    """The reported attack: `url: "-K./evil.curlrc"` made plan write a file (the config names its output)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "evil.curlrc").write_text(f'url = "http://127.0.0.1:{http_ok}/"\noutput = "./written-by-curlrc"\n')
    out = read_http(LocalTransport(), _unchecked("-K./evil.curlrc"))
    assert "error" in out
    assert not (tmp_path / "written-by-curlrc").exists()


def test_gopher_url_never_reaches_a_listener(listener: _Listener) -> None:
    out = read_http(LocalTransport(), _unchecked(f"gopher://127.0.0.1:{listener.port}/_SET%20pwned%201"))
    assert "error" in out
    assert listener.received == b""


def test_redirect_to_gopher_is_not_followed(listener: _Listener) -> None:
    class Redirect(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(302)
            self.send_header("Location", f"gopher://127.0.0.1:{listener.port}/_SET%20pwned%201")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        check = _unchecked(f"http://127.0.0.1:{server.server_address[1]}/")
        argv_out = read_http(LocalTransport(), check)
        assert argv_out.get("status") == 302 or "error" in argv_out
        # curl with -L would follow; the check never passes -L, and --proto-redir blocks it anyway.
        assert listener.received == b""
    finally:
        server.shutdown()


@pytest.mark.parametrize("url", ["-K./evil.curlrc", "gopher://127.0.0.1:6379/_x", "file:///etc/passwd",
                                 "http://127.0.0.1/\nx", "dict://127.0.0.1:11211/stat", "http:///nohost"])
def test_validate_refuses_non_http_urls(workspace: Workspace, url: str) -> None:
    import json

    write_env(workspace.root, "hx", "hosts:\n  h:\n    connection: local\n    checks:\n      http:\n"
              f"        - {{url: {json.dumps(url)}}}\n")
    res = workspace.run("validate", "hx")
    assert res.exit_code == 1, res.output
    assert "hosts.yaml" in res.output or "environment.yaml:" in res.output
    assert "Traceback" not in res.output
