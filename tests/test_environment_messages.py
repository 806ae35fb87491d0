"""Issue 17, item 4: one error per real problem, each pointing at file:line:col — the folder decides the
environment's name, a broken file does not also report the keys it may have held, and an RPC URL that plan
could never dial is refused by `validate`, naming the network."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import Workspace

GOOD = 'environment: mine\nnetworks:\n  chain: {type: evm, chain_id: 1, rpc_url: "http://127.0.0.1:9"}\n'


def _state(ws: Workspace, files: dict[str, bytes | str]) -> Path:
    folder = ws.root / "state" / "mine"
    folder.mkdir(parents=True)
    for name, content in files.items():
        data = content.encode() if isinstance(content, str) else content
        (folder / name).write_bytes(data)
    return folder


def _problems(ws: Workspace) -> list[str]:
    r = ws.run("validate", "mine")
    assert r.exit_code != 0, r.output
    assert "Traceback" not in r.output + r.stderr
    return [line for line in r.stderr.splitlines() if line.startswith("state/")]


def test_environment_must_name_its_folder(workspace: Workspace) -> None:
    _state(workspace, {"environment.yaml": GOOD.replace("environment: mine", "environment: production")})
    assert _problems(workspace) == [
        ('state/mine/environment.yaml:1:14: environment: "environment: production" does not match the folder '
         'name "mine"; write "environment: mine" or rename the folder')
    ]
    (workspace.root / "state" / "mine" / "environment.yaml").write_text(GOOD)
    assert workspace.run("validate", "mine").exit_code == 0


@pytest.mark.parametrize(
    ("broken", "message"),
    [
        (b"networks: {other: [\n", "YAML syntax error"),
        (b"environment: mine\nenvironment: mine\n", 'duplicate key "environment"'),
        (b"\x00\xff\xfe\x00", "not UTF-8 text"),
    ],
    ids=["syntax", "duplicate-key", "binary"],
)
def test_a_broken_file_is_one_error_not_two(workspace: Workspace, broken: bytes, message: str) -> None:
    # The broken file is the only one declaring `environment:`; it must not also be "missing".
    files: dict[str, bytes | str] = {"environment.yaml": broken,
                                     "networks.yaml": GOOD.replace("environment: mine\n", "")}
    _state(workspace, files)
    problems = _problems(workspace)
    assert len(problems) == 1, problems
    assert problems[0].startswith("state/mine/environment.yaml:") and message in problems[0], problems
    assert "required key" not in problems[0]


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("ftp://rpc.example/v2/S3CRETKEY", 'must start with http:// or https:// (got "ftp://")'),
        ("rpc.example/v2/S3CRETKEY", "must start with http:// or https:// (got no scheme)"),
        ("https:///v2/S3CRETKEY", "has no host"),
    ],
)
def test_rpc_url_scheme_is_checked_at_validate(workspace: Workspace, url: str, why: str) -> None:
    stellar = f'  soroban: {{type: stellar, passphrase: "Standalone Network ; February 2017", rpc_url: "{url}"}}\n'
    _state(workspace, {"environment.yaml": GOOD + stellar})
    problems = _problems(workspace)
    assert len(problems) == 1, problems
    assert problems[0].startswith("state/mine/environment.yaml:4:"), problems
    assert f'networks.soroban.rpc_url: network "soroban": the RPC URL {why}' in problems[0], problems
    # The URL's path may be a provider's API key: it is not echoed.
    assert "S3CRETKEY" not in problems[0]
