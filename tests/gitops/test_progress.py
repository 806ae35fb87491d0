"""Apply progress as operators see it: in a CI log one line per step with its duration and a summary; on a
terminal (a real pty) also a live status line rewritten in place; `--no-color` leaves no ANSI code at all."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
from pathlib import Path

from tests.conftest import Workspace
from tests.support.local_state import write_local_state

STEP = re.compile(r"^  \[\s*(\d+)/(\d+)\] ([+~\-±]|pending) (\S+): .+  \((\d+\.\d)s\)$", re.MULTILINE)
TEMPOCTL = str(Path(sys.executable).parent / "tempoctl")  # the installed entry point, as a shell runs it
SUMMARY = re.compile(r"^Apply complete: (\d+) step\(s\) done \((.+)\) in (\d+\.\d)s\.$", re.MULTILINE)


def test_one_line_per_step_with_durations_and_a_summary(chain, workspace: Workspace) -> None:  # type: ignore[no-untyped-def]
    write_local_state(workspace.root / "state" / "local", chain)
    r = workspace.run("apply", "local", "--auto-approve")
    assert r.exit_code == 0, r.output
    steps = STEP.findall(r.output)
    assert [int(s[0]) for s in steps] == list(range(1, len(steps) + 1))
    assert {int(s[1]) for s in steps} == {len(steps)} and len(steps) == 14
    [summary] = SUMMARY.findall(r.output)
    assert int(summary[0]) == 14
    assert summary[1] == "7 created, 1 deleted, 6 updated"
    assert float(summary[2]) >= max(float(s[4]) for s in steps)
    assert "\r" not in r.output and "\x1b" not in r.output


def _apply_on_a_terminal(root: Path, *flags: str) -> str:
    master, slave = pty.openpty()
    env = {**os.environ, "LOCAL_ADMIN_KEY": "", "COLUMNS": "200", "TERM": "xterm"}
    env.pop("NO_COLOR", None)
    from tests.support.anvil import DEV_KEYS

    env.update({"LOCAL_ADMIN_KEY": DEV_KEYS[0], "LOCAL_RISK_OFFICER_KEY": DEV_KEYS[1], "LOCAL_EMERGENCY_KEY": DEV_KEYS[2],
                "HOME": str(root / "home"), "TEMPOCTL_CRASH_DIR": str(root / "crash")})
    proc = subprocess.Popen([sys.executable, "-m", "tempoctl", *flags, "apply", "local", "--auto-approve"],
                            cwd=root, env=env, stdin=subprocess.DEVNULL, stdout=slave, stderr=slave)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    assert proc.wait(timeout=120) == 0, b"".join(chunks).decode(errors="replace")
    return b"".join(chunks).decode()


def test_live_line_on_a_terminal_and_no_color_means_no_ansi(chain, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    write_local_state(tmp_path / "state" / "local", chain)
    out = _apply_on_a_terminal(tmp_path, "--no-color")
    assert "\x1b" not in out
    assert re.search(r"\[\d+/14\] running \S+", out), "the live status line"
    assert "\r" in out
    text = out.replace("\r\n", "\n")
    # What remains on screen once each live line was erased: the step lines and the summary, whole.
    screen = re.sub(r"[^\n]*\r", "", text)
    assert len(STEP.findall(screen)) == 14 and SUMMARY.search(screen)
    assert "running" not in screen


def test_colour_on_a_terminal_by_default(chain, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    write_local_state(tmp_path / "state" / "local", chain)
    out = _apply_on_a_terminal(tmp_path)
    assert "\x1b[32m+\x1b[0m governance.role." in out and "\x1b[2K" in out


def test_shell_completion_offers_environments_and_saved_plans(tmp_path: Path) -> None:
    for env in ("prod", "staging"):
        (tmp_path / "state" / env).mkdir(parents=True)
    (tmp_path / "plans").mkdir()
    from tempoctl.plan.model import Plan
    from tempoctl.plan.planfile import save_plan

    save_plan(Plan(environment="prod", created_at="2026-01-01T00:00:00+00:00", tool_version="0"),
              tmp_path / "plans" / "prod.json")  # recognised by content, not by its suffix
    (tmp_path / "plans" / "prod-admin-safe-batch.json").write_text("{}")  # JSON, not a plan: never offered

    def complete(words: str) -> list[str]:
        env = {**os.environ, "_TEMPOCTL_COMPLETE": "bash_complete", "COMP_WORDS": words,
               "COMP_CWORD": str(len(words.split(" ")) - 1)}
        r = subprocess.run([TEMPOCTL], cwd=tmp_path, env=env, capture_output=True,
                           text=True, check=True)
        return [line.split(",", 1)[1] for line in r.stdout.splitlines()]

    assert complete("tempoctl dr") == ["drift"]
    assert complete("tempoctl plan ") == ["prod", "staging"]
    assert complete("tempoctl drift st") == ["staging"]
    assert complete("tempoctl apply p") == ["prod", "plans/prod.json"]
    script = subprocess.run([TEMPOCTL], env={**os.environ, "_TEMPOCTL_COMPLETE": "bash_source"},
                            capture_output=True, text=True, check=True).stdout
    assert "_tempoctl_completion" in script and "complete " in script
