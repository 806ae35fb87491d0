"""Env files every reader reads back the same (issue 12): values outside the bare set are single-quoted, read
back identically by a real `sh` and `bash` sourcing the file and by tempoctl itself, and converge (apply,
re-plan, no change). A secret is written through stdin, never on a command line, and `-v apply` never
prints it; a secret no reader agrees on is refused before anything is written."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Workspace
from tests.hosts.support import write_env
from tests.support.sshd import Sshd

VALUES = {
    "GREETING": "hello world # not a comment",
    "HOME_LIKE": "~/x",
    "EMPTY": "",
    "PUNCT": "a=b;c|d&e<f>g(h)*?[]{}!%^",
    "ORIGINS": "https://a.example,https://b.example",
    "SPACES": "  padded  ",
}
SECRET = "s3cr3t-Token value#with spaces~0123456789"


@pytest.fixture(params=["local", "ssh"])
def connection(request: pytest.FixtureRequest, sshd: Sshd) -> str:
    return "local" if request.param == "local" else sshd.connection


def _yaml_values(values: dict[str, str]) -> str:
    return "".join(f"          {k}: {json.dumps(v)}\n" for k, v in values.items())


def _sourced(shell: str, path: Path, keys: list[str]) -> dict[str, str]:
    """What `shell` sees after sourcing `path` (values printed NUL-separated, so nothing is re-split)."""
    script = f". {path}; printf '%s\\0' " + " ".join(f'"${k}"' for k in keys)
    out = subprocess.run([shell, "-c", script], capture_output=True, check=True, env={"PATH": "/usr/bin:/bin"})
    return dict(zip(keys, out.stdout.decode().split("\0")[:-1], strict=True))


def test_values_every_reader_agrees_on_converge(units: Path, connection: str, workspace: Workspace) -> None:
    target = workspace.root / "app.env"
    target.write_text('# kept\nGREETING="old"\nOTHER=1\n')
    write_env(workspace.root, "h", f"""hosts:
  app:
    connection: {connection}
    roots: ["{workspace.root}"]
    env_files:
      {target}:
        values:
{_yaml_values(VALUES)}""")
    r = workspace.run("apply", "h", "--auto-approve")
    assert r.exit_code == 0, r.output
    assert "Re-plan after apply: no changes" in r.output
    text = target.read_text()
    assert text.startswith("# kept\nGREETING='hello world # not a comment'\nOTHER=1\n"), text
    assert "ORIGINS=https://a.example,https://b.example\n" in text and "EMPTY=\n" in text
    for shell in ("sh", "bash"):
        assert _sourced(shell, target, list(VALUES)) == VALUES, shell
    from tempoctl.observed.host.facts import parse_env

    assert {k: parse_env(text)[k] for k in VALUES} == VALUES
    assert workspace.run("drift", "h").exit_code == 0


def test_sourcing_a_written_file_runs_nothing(units: Path, workspace: Workspace) -> None:
    pwned = workspace.root / "pwned"
    target = workspace.root / "app.env"
    write_env(workspace.root, "h", f"""hosts:
  app:
    connection: local
    env_files:
      {target}:
        values: {{A: "x;touch {pwned}", B: "x|touch {pwned}", C: "x&touch {pwned}", D: "(touch {pwned})"}}
""")
    assert workspace.run("apply", "h", "--auto-approve").exit_code == 0
    subprocess.run(["sh", "-c", f". {target}"], check=True)
    assert not pwned.exists()


def _recorder(monkeypatch: pytest.MonkeyPatch) -> list[tuple[list[str], bytes]]:
    """Every command tempoctl starts in this process (local commands and the ssh client's argv, which holds
    the remote command line), with what it gets on stdin."""
    calls: list[tuple[list[str], bytes]] = []
    real = subprocess.run

    def run(args: Any, *a: Any, **kw: Any) -> Any:
        data = kw.get("input") or b""
        calls.append(([str(x) for x in args] if isinstance(args, list) else [str(args)],
                      data if isinstance(data, bytes) else str(data).encode()))
        return real(args, *a, **kw)

    monkeypatch.setattr(subprocess, "run", run)
    return calls


def test_a_secret_goes_through_stdin_never_a_command_line_or_the_v_log(
        units: Path, connection: str, workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    target = workspace.root / "app.env"
    target.write_text("API_TOKEN=old\n")
    write_env(workspace.root, "h", f"""hosts:
  app:
    connection: {connection}
    roots: ["{workspace.root}"]
    env_files:
      {target}:
        values: {{API_TOKEN: {{secret: env:API_TOKEN}}, MODE: "2"}}
""")
    workspace.env["API_TOKEN"] = SECRET
    calls = _recorder(monkeypatch)
    r = workspace.run("-v", "apply", "h", "--auto-approve")
    assert r.exit_code == 0, r.output
    assert f"API_TOKEN='{SECRET}'\n" in target.read_text()
    writes = [argv for argv, data in calls if SECRET.encode() in data]
    assert writes, "the recorder saw the write (its content on stdin)"
    for argv, _ in calls:
        assert not any(SECRET in a for a in argv), argv
    assert SECRET not in r.output
    assert "set -e" in r.output and "mktemp" in r.output  # -v did log the write command itself


def test_a_secret_no_reader_agrees_on_is_refused_before_writing(units: Path, workspace: Workspace) -> None:
    target = workspace.root / "app.env"
    target.write_text("API_TOKEN=old\n")
    write_env(workspace.root, "h", f"""hosts:
  app:
    connection: local
    env_files:
      {target}:
        values: {{API_TOKEN: {{secret: env:API_TOKEN}}}}
""")
    hostile = "x$(touch pwned)"
    workspace.env["API_TOKEN"] = hostile
    r = workspace.run("apply", "h", "--auto-approve")
    assert r.exit_code == 1, r.output
    assert "API_TOKEN cannot be written to an env file: character 2 of the value is not allowed" in r.output
    assert hostile not in r.output and "'$'" not in r.output
    assert target.read_text() == "API_TOKEN=old\n"
