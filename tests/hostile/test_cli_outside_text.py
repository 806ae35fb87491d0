"""Text that tempoctl did not write reaches the terminal only without control characters (DESIGN §8): the
lock holder's fields and the last apply's error come from the backend, which another operator's machine
(or an apply of a path named with escapes) wrote; click's own usage errors quote what the user typed."""

from __future__ import annotations

import socket

from tempoctl.backend import open_backend
from tempoctl.backend.holder import LockHolder
from tests.conftest import Workspace
from tests.hosts.support import write_env

PAINT = "\x1b]0;owned\x07\x1b[2K\rApply complete: 0 changes\n"


def _bad(text: str) -> list[str]:
    return [c for c in text if (ord(c) < 32 and c != "\n") or 0x7f <= ord(c) <= 0x9f]


def test_lock_status_prints_the_holder_inert(workspace: Workspace) -> None:
    write_env(workspace.root, "e", "")
    holder = LockHolder("e", "0123456789ab", "ops" + PAINT, socket.gethostname() + PAINT, 999999, 1.0,
                        "apply e" + PAINT, "2026-11-23T10:00:00Z")
    with open_backend("sqlite:///.tempoctl/e.db", workspace.root) as b:
        b._write_holder(holder)
        b.audit_begin("e", "apply-1", holder=holder, git_commit=None, plan_fingerprint=None)
        b.audit_end("apply-1", "failed", "rpc said" + PAINT)
    res = workspace.run("lock", "status", "e")
    assert res.exit_code == 0, res.output
    assert "0123456789ab" in res.output
    assert not _bad(res.output), repr(res.output)
    assert not any(line.startswith("Apply complete") for line in res.output.splitlines()), res.output


def test_click_usage_errors_quote_the_typed_text_inert(workspace: Workspace) -> None:
    res = workspace.run("plan", "--format", "x" + PAINT)
    assert res.exit_code == 1
    assert not _bad(res.output), repr(res.output)
    assert not any(line.startswith("Apply complete") for line in res.output.splitlines()), res.output
    for args in (["no-such-command" + PAINT], ["schema", "extra" + PAINT], ["plan", "--bogus" + PAINT],
                 ["validate", "--trusted-base"]):
        res = workspace.run(*args)
        assert res.exit_code == 1 and not _bad(res.output), repr(res.output)
        assert not any(line.startswith("Apply complete") for line in res.output.splitlines()), res.output
