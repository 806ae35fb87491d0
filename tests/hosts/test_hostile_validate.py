"""Hostile host declarations are refused at validate, each with file:line:col and the reason (issue 12):
glob and template unit names, ssh users/hosts that ssh would read as options, env-file keys that write other
keys, values that run or expand when sourced, world-writable or setuid modes."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Workspace
from tests.hosts.support import write_env
from tests.support.sshd import Sshd

HOSTILE = [
    # (id, YAML under hosts.app, where, message fragment)
    ("glob-unit", "connection: local\n    services:\n      \"worker-*\": {}\n",
     "state/h/environment.yaml:7:7", 'unit name "worker-*" contains glob character(s) *'),
    ("glob-unit-in-restart", "connection: local\n    env_files:\n      /tmp/a.env:\n        restart: [\"api?\"]\n",
     "state/h/environment.yaml:8:19", 'unit name "api?" contains glob character(s) ?'),
    ("template-itself", "connection: local\n    services:\n      \"worker@.service\": {}\n",
     "state/h/environment.yaml:7:7", "is a template, which cannot be started or stopped itself"),
    ("unit-as-option", "connection: local\n    services:\n      \"-worker\": {}\n",
     "state/h/environment.yaml:7:7", 'starts with "-"'),
    ("ssh-user-option", "connection: \"ssh://-oProxyCommand=touch@host\"\n",
     "state/h/environment.yaml:5:17", 'the ssh user and host may not start with "-"'),
    ("ssh-host-option", "connection: \"ssh://deploy@-oProxyCommand=touch\"\n",
     "state/h/environment.yaml:5:17", 'the ssh user and host may not start with "-"'),
    ("env-key-newline", "connection: local\n    env_files:\n      /tmp/a.env:\n        values: {\"B=1\\nPATH\": x}\n",
     # (refused by the loader's rule for every scalar and key, before the env-file grammar is consulted)
     "state/h/environment.yaml:8:18", "a mapping key: control character U+000A (line feed)"),
    ("env-value-command", "connection: local\n    env_files:\n      /tmp/a.env:\n        values: {A: \"$(touch /tmp/x)\"}\n",
     "state/h/environment.yaml:8:21", "character 1 of the value is '$'"),
    ("env-value-backtick", "connection: local\n    env_files:\n      /tmp/a.env:\n        values: {A: \"x`id`\"}\n",
     "state/h/environment.yaml:8:21", "character 2 of the value is '`'"),
    ("env-value-quote", "connection: local\n    env_files:\n      /tmp/a.env:\n        values: {A: \"it's\"}\n",
     "state/h/environment.yaml:8:21", "character 3 of the value is \"'\""),
    ("env-value-newline", "connection: local\n    env_files:\n      /tmp/a.env:\n        values: {A: \"x\\nB=1\"}\n",
     "state/h/environment.yaml:8:21", "values.A: control character U+000A (line feed)"),
    ("env-mode-world-writable", "connection: local\n    env_files:\n      /tmp/a.env:\n        mode: \"0777\"\n",
     "state/h/environment.yaml:8:15", "mode 0777 makes the env file world-writable"),
    ("env-mode-setuid", "connection: local\n    env_files:\n      /tmp/a.env:\n        mode: \"4755\"\n",
     "state/h/environment.yaml:8:15", "mode 4755 sets setuid, setgid or sticky bits"),
    ("env-mode-sticky", "connection: local\n    env_files:\n      /tmp/a.env:\n        mode: \"1640\"\n",
     "state/h/environment.yaml:8:15", "mode 1640 sets setuid, setgid or sticky bits"),
]


@pytest.mark.parametrize(("body", "where", "message"), [c[1:] for c in HOSTILE], ids=[c[0] for c in HOSTILE])
def test_hostile_host_declarations_are_refused_at_validate(workspace: Workspace, body: str, where: str,
                                                           message: str) -> None:
    write_env(workspace.root, "h", f"hosts:\n  app:\n    {body}")
    r = workspace.run("validate", "h")
    assert r.exit_code == 1, r.output
    line = next((ln for ln in r.output.splitlines() if ln.startswith(where)), None)
    assert line is not None, r.output
    assert message in r.output, r.output
    assert "Traceback" not in r.output


def test_declarations_every_reader_agrees_on_stay_valid(workspace: Workspace) -> None:
    write_env(workspace.root, "h", """hosts:
  app:
    connection: ssh://deploy@127.0.0.1:2222
    roots: [/tmp]
    services:
      tempovault-api: {state: running, enabled: true, settle: 2s}
      worker@blue: {}
      backup.timer: {}
    env_files:
      /tmp/a.env:
        mode: "0640"
        values: {ALLOWED_ORIGINS: "https://a.example,https://b.example", GREETING: "hello world # not a comment",
                 HOME_LIKE: "~/x", EMPTY: "", _under: "a=b;c|d&e<f>g(h)*?[]{}!%^"}
        restart: [worker@blue]
""")
    r = workspace.run("validate", "h")
    assert r.exit_code == 0, r.output


@pytest.mark.parametrize("connection", ["ssh://-oProxyCommand=x@host", "ssh://deploy@-oProxyCommand=x"])
def test_the_transport_refuses_an_option_shaped_destination_too(connection: str) -> None:
    from tempoctl.observed.host.transport import HostError, parse_connection

    with pytest.raises(HostError, match="starting with '-'"):
        parse_connection(connection)


def test_ssh_gets_double_dash_before_the_destination(sshd: Sshd, monkeypatch: pytest.MonkeyPatch) -> None:
    import subprocess

    from tempoctl.observed.host.transport import open_transport

    calls: list[list[str]] = []
    real = subprocess.run

    def record(argv: list[str], *a: Any, **kw: Any) -> Any:
        calls.append(list(argv))
        return real(argv, *a, **kw)

    monkeypatch.setattr(subprocess, "run", record)
    with open_transport(sshd.connection, environ={"TEMPOCTL_SSH_CONFIG": str(sshd.client_config)}) as t:
        assert t.run(["echo", "-n", "hi"]).text == "hi"
    dest = sshd.connection.removeprefix("ssh://").rsplit(":", 1)[0]
    ssh_calls = [c for c in calls if c[0] == "ssh"]
    assert len(ssh_calls) == 3  # the master, the command, the master's exit
    for c in ssh_calls:
        assert c[c.index(dest) - 1] == "--", c
