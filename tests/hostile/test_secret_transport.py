"""Issue 12, the two untested claims: an env file's content (secret included) reaches the host on stdin,
never on a command line (where `ps` shows it to every local user), and `-v apply` does not print it."""

from __future__ import annotations

import subprocess
from typing import Any

import pytest

from tests.conftest import Workspace
from tests.hosts.support import write_env

SECRET = "stdin-only-secret-value-0123456789"


def test_secret_goes_on_stdin_never_on_a_command_line(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    srv = workspace.root / "srv"
    srv.mkdir()
    env_file = srv / "app.env"
    env_file.write_text("A=old-value-000000000000\n")
    write_env(workspace.root, "s", f"""hosts:
  app:
    connection: local
    env_files:
      {env_file}:
        values: {{A: {{secret: env:A_SECRET}}}}
""")
    workspace.env["A_SECRET"] = SECRET
    argvs: list[list[str]] = []
    real_run = subprocess.run

    def recording_run(args: Any, *a: Any, **kw: Any) -> Any:
        argvs.append([str(x) for x in (args if isinstance(args, (list, tuple)) else [args])])
        return real_run(args, *a, **kw)

    monkeypatch.setattr(subprocess, "run", recording_run)
    res = workspace.run("-v", "apply", "s", "--auto-approve")
    assert res.exit_code == 0, res.output
    assert env_file.read_text() == f"A={SECRET}\n"
    assert argvs, "no command was recorded"
    for argv in argvs:
        assert not any(SECRET in part for part in argv), argv
    assert SECRET not in res.output
    assert "sh -c" in res.output or "write" in res.output  # -v did list the host commands
