"""The host transport against a real sshd on 127.0.0.1 and locally: commands, stdin, atomic file writes that
keep owner and mode, one ssh connection per host per run, secrets masked in the command log."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from tempoctl.observed.host.transport import HostError, Transport, open_transport, parse_connection
from tests.support.sshd import Sshd


@pytest.fixture(params=["local", "ssh"])
def host(request: pytest.FixtureRequest, sshd: Sshd) -> Transport:
    connection = "local" if request.param == "local" else sshd.connection
    t = open_transport(connection, environ={"TEMPOCTL_SSH_CONFIG": str(sshd.client_config)})
    request.addfinalizer(t.close)
    return t


def test_command_output_exit_status_and_stdin(host: Transport) -> None:
    r = host.run(["sh", "-c", 'printf "%s|" "$@"; cat', "sh", "a b", "it's", "$HOME"], input=b"from stdin")
    # Arguments arrive exactly as given: no word splitting or expansion by the remote shell.
    assert r.stdout == b"a b|it's|$HOME|from stdin"
    assert host.run(["sh", "-c", "exit 7"], check=False).returncode == 7
    with pytest.raises(HostError) as err:
        host.run(["sh", "-c", "echo boom >&2; exit 3"])
    assert "exit 3" in err.value.summary and "boom" in err.value.detail


def test_read_file_absent_and_present(host: Transport, tmp_path: Path) -> None:
    assert host.read_file(str(tmp_path / "missing")) is None
    (tmp_path / "f").write_bytes(b"\x00binary\nline")
    assert host.read_file(str(tmp_path / "f")) == b"\x00binary\nline"


def test_atomic_write_keeps_owner_and_mode(host: Transport, tmp_path: Path) -> None:
    target = tmp_path / "app.env"
    target.write_text("OLD=1\n")
    target.chmod(0o640)
    if os.geteuid() == 0:
        os.chown(target, 65534, 65534)  # nobody: the write must not hand it to root
    host.write_file_atomic(str(target), b"NEW=2\n")
    st = target.stat()
    assert target.read_bytes() == b"NEW=2\n"
    assert stat.S_IMODE(st.st_mode) == 0o640
    if os.geteuid() == 0:
        assert (st.st_uid, st.st_gid) == (65534, 65534)
    # No temp file is left beside it.
    assert [p.name for p in tmp_path.iterdir()] == ["app.env"]


def test_new_file_is_private_unless_a_mode_is_given(host: Transport, tmp_path: Path) -> None:
    host.write_file_atomic(str(tmp_path / "a"), b"x")
    host.write_file_atomic(str(tmp_path / "b"), b"y", mode="0644")
    assert stat.S_IMODE((tmp_path / "a").stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "b").stat().st_mode) == 0o644


def test_failed_write_leaves_the_file_alone(host: Transport, tmp_path: Path) -> None:
    target = tmp_path / "keep"
    target.write_text("intact")
    with pytest.raises(HostError):
        host.write_file_atomic(str(target), b"new", owner="no-such-user-xyz")
    assert target.read_text() == "intact"
    assert [p.name for p in tmp_path.iterdir()] == ["keep"]


def test_one_ssh_connection_is_reused_for_every_command(sshd: Sshd, tmp_path: Path) -> None:
    before = sshd.accepted_logins()
    t = open_transport(sshd.connection, environ={"TEMPOCTL_SSH_CONFIG": str(sshd.client_config)})
    try:
        for i in range(5):
            t.run(["true"])
            t.write_file_atomic(str(tmp_path / f"f{i}"), b"x")
            assert t.read_file(str(tmp_path / f"f{i}")) == b"x"
        assert sshd.accepted_logins() - before == 1
        control = t.control_path  # type: ignore[attr-defined]
        assert os.path.exists(control)
    finally:
        t.close()
    assert not os.path.exists(control)


def test_commands_are_logged_with_secrets_masked(sshd: Sshd) -> None:
    lines: list[str] = []
    t = open_transport(sshd.connection, log=lines.append, environ={"TEMPOCTL_SSH_CONFIG": str(sshd.client_config)})
    try:
        with pytest.raises(HostError) as err:
            t.run(["sh", "-c", 'echo "bad $1" >&2; exit 1', "sh", "hunter2-secret"], sensitive=["hunter2-secret"])
    finally:
        t.close()
    assert any("127.0.0.1: sh -c" in line for line in lines)
    assert not any("hunter2-secret" in line for line in lines)
    assert "hunter2-secret" not in err.value.render() and "***" in err.value.render()


def test_unreachable_host_is_a_clear_error(sshd: Sshd) -> None:
    from tests.support.anvil import free_port

    t = open_transport(f"ssh://nobody@127.0.0.1:{free_port()}", environ={"TEMPOCTL_SSH_CONFIG": str(sshd.client_config)})
    with pytest.raises(HostError) as err:
        t.run(["true"])
    t.close()
    assert "cannot connect to host 127.0.0.1" in err.value.summary


def test_connection_strings() -> None:
    assert parse_connection("ssh://deploy@vault-1.internal") == ("deploy@vault-1.internal", None)
    assert parse_connection("ssh://deploy@10.0.0.5:2222") == ("deploy@10.0.0.5", 2222)
    with pytest.raises(HostError):
        parse_connection("ssh://deploy:pw@host")
