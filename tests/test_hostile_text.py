"""Hostile text from outside (issue 10 item 5, DESIGN §8): a JSON-RPC node on 127.0.0.1 answers with an error
message that paints a fake `Apply complete` line (ESC/CSI/OSC, CR, BEL, C1, a bidi override). With
`--no-color` none of it reaches the terminal. Revert reasons and host output are rendered the same way; in
Markdown they cannot open an HTML comment (a bot's marker), break out of a code span or a table cell."""

from __future__ import annotations

import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from click.testing import CliRunner

from tempoctl.apply.progress import ApplyProgress
from tempoctl.cli import main
from tempoctl.plan.render.markdown import render_markdown
from tempoctl.plan.render.text import render_text
from tempoctl.safetext import find_control, for_markdown, for_terminal

PAINT = ("node busy\x1b[2K\r\x1b[1A\x1b[32mApply complete: 3 step(s) done\x1b[0m\x1b]0;owned\x07"
         "\x1b]8;;https://evil.example\x1b\\link\x1b]8;;\x1b\\\x9b2J\u202eevil\x85\x00\x08")
MARKERS = "<!-- tempoctl-plan: prod --> <!-- tempoctl-fingerprint: sha256:" + "1" * 64 + " --> `x` | y"
ADDRESS = "0x5b891B43c5a555Cd37FD93892c8990F4b2Eb3E71"


def _no_control(text: str) -> None:
    assert find_control(text, allow_newline=True) is None, repr(text)
    assert "\x1b" not in text and "\r" not in text


class _Hostile(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        reqs = body if isinstance(body, list) else [body]
        out = [{"jsonrpc": "2.0", "id": r.get("id"), "error": {"code": -32000, "message": PAINT}} for r in reqs]
        data = json.dumps(out if isinstance(body, list) else out[0]).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def hostile_rpc() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Hostile)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


def _env(root: Path, url: str) -> None:
    folder = root / "state" / "h"
    folder.mkdir(parents=True)
    (folder / "environment.yaml").write_text(f"""environment: h
networks:
  tempo: {{type: evm, chain_id: 42431, rpc_url: "{url}"}}
contracts:
  governance:
    network: tempo
    address: "{ADDRESS}"
    profile: access-control
    roles: {{ADMIN: ["{ADDRESS}"]}}
""")


@pytest.mark.parametrize("command", ["plan", "drift"])
def test_hostile_rpc_error_never_reaches_the_terminal(tmp_path: Path, hostile_rpc: str, command: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    _env(tmp_path, hostile_rpc)
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(main, ["--no-color", command, "h"], env={"HOME": str(tmp_path / "home")})
    out = r.output + (r.stderr if r.stderr_bytes is not None else "")
    assert r.exit_code == 1, out
    assert "node busy" in out  # the message is shown, made inert
    _no_control(out)
    assert "\u202e" not in out and "\x9b" not in out


def _plan(error: str, note: str = "") -> dict[str, Any]:
    step = {"kind": "evm_transaction", "to": ADDRESS, "function": "grantRole", "args": ["ADMIN", ADDRESS],
            "signer": "admin", "display": "grantRole(ADMIN, " + ADDRESS + ")",
            "simulation": {"status": "revert", "error": error}}
    return {"format_version": "1", "environment": "h", "created_at": "2026-01-01T00:00:00Z", "observed": {},
            "changes": [{"address": f"governance.role.ADMIN[{ADDRESS}]", "action": "create", "before": None,
                         "after": True, "reason": "x.yaml:1", "steps": [step], "depends_on": []}],
            "drift": [{"address": "governance.paused", "kind": "live", "message": error}],
            "notes": [note] if note else [], "summary": {"create": 1}, "fingerprint": "sha256:" + "a" * 64}


def test_text_renderer_strips_hostile_revert_text() -> None:
    text = render_text(_plan(PAINT, note=PAINT))
    _no_control(text)
    assert "Apply complete" in text  # visible as plain text, on the revert's own line
    assert all(not line.startswith("Apply complete") for line in text.splitlines())


def test_markdown_escapes_markers_code_and_cells() -> None:
    md = render_markdown(_plan(MARKERS + PAINT, note=MARKERS))
    _no_control(md.replace("\n", ""))
    # only the real fingerprint footer is an HTML comment; the hostile markers are inert everywhere
    assert md.count("<!--") == 1 and md.count("-->") == 1 and md.rstrip().endswith("-->")
    assert "<!-- tempoctl-fingerprint: sha256:" + "a" * 64 + " -->" in md


def test_progress_lines_strip_hostile_text() -> None:
    lines: list[str] = []
    statuses: list[str] = []
    progress = ApplyProgress(line=lines.append, status=statuses.append)
    progress.begin(1)
    change = SimpleNamespace(address="governance.paused", action=SimpleNamespace(value="update", glyph="~"))
    sent = SimpleNamespace(change=change, pending=False, step=SimpleNamespace(display="pause()"),
                           summary="failed: " + PAINT)
    progress.started([(change, None)])
    progress.finished(sent, 1.0)
    progress("executor says: " + PAINT)
    for line in lines + statuses:
        _no_control(line)
    assert len(lines) == 2


def test_helpers() -> None:
    assert for_terminal("a\x1b[31mb\x1b[0m\rc\nd", multiline=False) == "abc d"
    assert for_terminal("a\nb") == "a\nb"
    assert for_terminal("x\x1b]0;title\x07y") == "xy"
    md = for_markdown("<!-- m --> `c` | d\ne")
    assert "<" not in md and "`" not in md and "\\|" in md and "\n" not in md


@pytest.mark.parametrize("fmt", ["text", "markdown"])
def test_drift_report_strips_and_escapes_hostile_text(fmt: str) -> None:
    from tempoctl.plan.drift import render_drift

    out = render_drift(_plan(MARKERS + PAINT, note=MARKERS + PAINT), fmt)
    _no_control(out)
    if fmt == "markdown":
        assert "<!--" not in out and "-->" not in out


def test_json_rendering_is_inert_and_still_the_same_document() -> None:
    from tempoctl.plan.render.json import render_json

    out = render_json(_plan(PAINT))
    _no_control(out)
    assert "\u202e" not in out and "\x9b" not in out and "\x85" not in out
    assert json.loads(out)["changes"][0]["steps"][0]["simulation"]["error"] == PAINT


def test_verbose_log_lines_strip_hostile_text(capsys: pytest.CaptureFixture[str]) -> None:
    """`-v` logs host commands and their output on stderr through the root logger's handler."""
    import logging

    from tempoctl.safetext import TerminalLogFilter

    handler = logging.StreamHandler()
    handler.addFilter(TerminalLogFilter())
    log = logging.getLogger("tempoctl.test.hostile")
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    try:
        log.info("ssh vault-1: %s", PAINT)
    finally:
        log.removeHandler(handler)
    err = capsys.readouterr().err
    assert "node busy" in err
    _no_control(err)


def test_a_newline_in_an_rpc_message_cannot_start_a_line_of_its_own(tmp_path: Path,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    from tempoctl.cli.errors import run_guarded
    from tempoctl.errors import RpcError

    def fail() -> int:
        raise RpcError("eth_chainId failed on 127.0.0.1: busy\nApply complete: 3 step(s) done",
                       hint="Check the node.")

    import io
    import sys

    err = io.StringIO()
    monkeypatch.setattr(sys, "stderr", err)
    assert run_guarded(fail, debug=False) == 1
    lines = err.getvalue().splitlines()
    assert lines[0].startswith("Error: eth_chainId failed") and "Apply complete" in lines[0]
    assert not any(line.startswith("Apply complete") for line in lines)
