"""A table of malformed state files: each must fail with an exact file:line:col and an operator message,
and secrets must never appear in the rendered error."""

from __future__ import annotations

from pathlib import Path

import pytest

from tempoctl.desired import load_environment
from tempoctl.errors import ConfigError, ValidationError
from tests.test_desired_support import make_env, strkey

PRIVATE_KEY = "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
SEED = strkey("S", bytes(range(1, 33)))
BAD_G = "GB4HMRTA2GFNNE6ZXBERBJFD6ZY5AKZ7MM7ZLOZ3D4GSQX4KFZN3E2YM"  # last char changed: checksum fails
MNEMONIC = "abandon " * 11 + "about"
ADMIN_LINE = 'ADMIN: ["0x5b891B43c5a555Cd37FD93892c8990F4b2Eb3E71"]'
TV, EN, HO, BK, TE = "tempovault.yaml", "environment.yaml", "hosts.yaml", "backups.yaml", "teye.yaml"

# (id, edits, extra files, expected where, message fragment, secret that must not be echoed)
CASES: list[tuple[str, list[tuple[str, str, str]], dict[str, str], str, str, str]] = [
    (
        "bad-checksum",
        [(TV, ADMIN_LINE, ADMIN_LINE.replace("0x5b89", "0x5B89"))],
        {},
        "env/tempovault.yaml:9:15",
        (
            "contracts.governance.roles.ADMIN[0]: not a valid address (checksum mismatch; did you mean "
            "0x5b891B43c5a555Cd37FD93892c8990F4b2Eb3E71?)"
        ),
        "",
    ),
    (
        "short-address",
        [(TV, "0x4f7c33869c5BE4b85b4e97975a5FdAD463380478", "0x4f7c")],
        {},
        "env/tempovault.yaml:13:20",
        "roles.STRATEGIST[0]: not a valid address (expected 0x followed by 40",
        "",
    ),
    (
        "unknown-key",
        [(TV, "unlisted_members: revoke", "unlisted_member: revoke")],
        {},
        "env/tempovault.yaml:14:5",
        'unknown key "unlisted_member" (did you mean "unlisted_members"?)',
        "",
    ),
    (
        "unknown-profile",
        [(TV, "profile: access-control", "profile: acess-control")],
        {},
        "env/tempovault.yaml:6:14",
        (
            'contracts.governance.profile: unknown profile "acess-control" (did you mean '
            '"access-control"? expected one of: access-control, tempovault/risk-controller'
        ),
        "",
    ),
    (
        "missing-address",
        [(TV, '    address: "0xB43eBB13D1C42709651c032C7894962023A1f90A"\n', "")],
        {},
        "env/tempovault.yaml:3:3",
        'contracts.governance: required key "address" is missing',
        "",
    ),
    (
        "wrong-type-int",
        [(TV, "maxTickDeviation: 200", "maxTickDeviation: abc")],
        {},
        "env/tempovault.yaml:30:25",
        'risk_params.maxTickDeviation: expected an integer, got "abc"',
        "",
    ),
    (
        "out-of-range",
        [(TV, "maxTickDeviation: 200", "maxTickDeviation: 0")],
        {},
        "env/tempovault.yaml:30:25",
        "maxTickDeviation: must be at least 1, got 0",
        "",
    ),
    (
        "wrong-type-bool",
        [(TV, "paused: false", "paused: maybe")],
        {},
        "env/tempovault.yaml:20:13",
        'contracts.risk.paused: expected true or false, got "maybe"',
        "",
    ),
    (
        "literal",
        [(TV, "unlisted_members: revoke", "unlisted_members: revok")],
        {},
        "env/tempovault.yaml:14:23",
        'expected one of: revoke, warn, ignore; got "revok" (did you mean "revoke"?)',
        "",
    ),
    (
        "bad-strkey",
        [(TE, "admin: GB4HMRTA2GFNNE6ZXBERBJFD6ZY5AKZ7MM7ZLOZ3D4GSQX4KFZN3E2YL", f"admin: {BAD_G}")],
        {},
        "env/teye.yaml:9:12",
        "contracts.vision_records.admin: not a valid Stellar account address",
        "",
    ),
    (
        "bad-contract-id",
        [(TE, "CBTUY4LER7DVSAKYIR3VT5LVKE7VCWEDJ2TO7PAQSK6OGU7D3IUENQLW", "CBTUY4")],
        {},
        "env/teye.yaml:5:18",
        "contract_id: not a valid Stellar contract ID",
        "",
    ),
    (
        "unknown-signer",
        [(TV, "signer: admin", "signer: admn")],
        {},
        "env/tempovault.yaml:7:13",
        'contracts.governance.signer: unknown signer "admn" (did you mean "admin"?',
        "",
    ),
    (
        "unknown-network",
        [(TV, 'network: tempo\n    address: "0xB43', 'network: temp\n    address: "0xB43')],
        {},
        "env/tempovault.yaml:4:14",
        'unknown network "temp" (did you mean "tempo"?',
        "",
    ),
    (
        "network-type-mismatch",
        [(TV, 'network: tempo\n    address: "0xC111', 'network: stellar-testnet\n    address: "0xC111')],
        {},
        "env/tempovault.yaml:17:14",
        'profile tempovault/risk-controller needs an EVM network, but "stellar-testnet" is a Stellar',
        "",
    ),
    (
        "signer-other-network",
        [(TE, "signer: teye_admin", "signer: admin")],
        {},
        "env/teye.yaml:7:13",
        'signer "admin" is on network "tempo", not "stellar-testnet"',
        "",
    ),
    (
        "empty-admin",
        [(TV, ADMIN_LINE, "ADMIN: []")],
        {},
        "env/tempovault.yaml:9:14",
        "contracts.governance.roles.ADMIN: the ADMIN role must not be empty",
        "",
    ),
    (
        "role-not-list",
        [(TV, ADMIN_LINE, "ADMIN: 5")],
        {},
        "env/tempovault.yaml:9:14",
        "roles.ADMIN: expected a list of addresses or a mapping, got 5",
        "",
    ),
    (
        "unknown-role-admin",
        [
            (
                TV,
                "    unlisted_members: revoke",
                "    role_admins: {EMERGENCY: ADMINN}\n    unlisted_members: revoke",
            )
        ],
        {},
        "env/tempovault.yaml:14:30",
        'unknown role "ADMINN" (did you mean "ADMIN"?',
        "",
    ),
    (
        "bad-cron",
        [(BK, '"0 2 * * *"', '"0 25 * * *"')],
        {},
        "env/backups.yaml:6:15",
        "backups.tempovault-db.schedule: not a valid cron schedule: hour field '25'",
        "",
    ),
    (
        "bad-cron-fields",
        [(BK, '"30 2 * * *"', '"30 2 * *"')],
        {},
        "env/backups.yaml:16:15",
        "expected 5 cron fields",
        "",
    ),
    (
        "bad-filename",
        [(BK, '"tempovault_{date:%Y%m%d}.sql.gz"', '"tempovault.sql.gz"')],
        {},
        "env/backups.yaml:8:15",
        "filename needs a {date:FORMAT} placeholder",
        "",
    ),
    (
        "postgres-needs-database",
        [(BK, "    database: tempovault\n", "")],
        {},
        "env/backups.yaml:2:3",
        "kind postgres needs `database`",
        "",
    ),
    (
        "backup-unknown-host",
        [(BK, "host: vault-1\n    kind: files", "host: vault-2\n    kind: files")],
        {},
        "env/backups.yaml:13:11",
        'unknown host "vault-2" (did you mean "vault-1"?',
        "",
    ),
    (
        "private-key",
        [(EN, "key: env:TEMPO_EMERGENCY_KEY", f'key: "0x{PRIVATE_KEY}"')],
        {},
        "env/environment.yaml:29:10",
        (
            "signers.emergency.key: looks like a private key; secrets never go in state "
            "files — use key: env:VAR or keystore:PATH"
        ),
        PRIVATE_KEY,
    ),
    (
        "private-key-bare-unknown-key",
        [(HO, "      http:", f"      junk: {PRIVATE_KEY}\n      http:")],
        {},
        "env/hosts.yaml:19:13",
        "looks like a private key",
        PRIVATE_KEY,
    ),
    (
        "private-key-in-default",
        [(EN, "${TEMPO_RPC_URL:-https://rpc.moderato.tempo.xyz}", f"${{TEMPO_RPC_URL:-{PRIVATE_KEY}}}")],
        {},
        "env/environment.yaml:9:14",
        "looks like a private key",
        PRIVATE_KEY,
    ),
    (
        "private-key-as-key",
        [],
        {"z.yaml": f"hosts:\n  x:\n    {PRIVATE_KEY}: 1\n"},
        "env/z.yaml:3:5",
        "a key looks like a private key",
        PRIVATE_KEY,
    ),
    (
        "stellar-seed",
        [(EN, "key: env:TEYE_ADMIN_SECRET", f"key: {SEED}")],
        {},
        "env/environment.yaml:33:10",
        "looks like a Stellar secret seed",
        SEED,
    ),
    (
        "mnemonic",
        [],
        {"z.yaml": f"notes: {MNEMONIC}\n"},
        "env/z.yaml:1:8",
        "looks like a mnemonic phrase",
        MNEMONIC,
    ),
    (
        "postgres-password",
        [(HO, "postgresql://tempovault@localhost", "postgresql://tempovault:hunter22@localhost")],
        {},
        "env/hosts.yaml:16:19",
        "looks like a database URL with a password",
        "hunter22",
    ),
    (
        "backend-password",
        [
            (
                EN,
                "${TEMPOCTL_BACKEND:-sqlite:///.tempoctl/tempo-testnet.db}",
                "postgresql://ops:s3cretpw@db/tempoctl",
            )
        ],
        {},
        "env/environment.yaml:37:10",
        "backend: looks like a database URL with a password",
        "s3cretpw",
    ),
    (
        "duplicate-across-files",
        [],
        {"more.yaml": "hosts:\n  vault-1:\n    connection: local\n"},
        "env/more.yaml:2:3",
        'hosts.vault-1: "vault-1" is defined twice: here and at env/hosts.yaml:2:3',
        "",
    ),
    (
        "environment-disagrees",
        [],
        {"more.yaml": "environment: prod\n"},
        "env/more.yaml:1:1",
        '"environment" disagrees with env/environment.yaml:3:1',
        "",
    ),
    ("yaml-syntax", [], {"z.yaml": "hosts:\n  x: [a, b\n"}, "env/z.yaml:3:1", "YAML syntax error", ""),
    (
        "yaml-duplicate-key",
        [(TV, "    unlisted_members: revoke", "    unlisted_members: revoke\n    unlisted_members: warn")],
        {},
        "env/tempovault.yaml:15:5",
        'duplicate key "unlisted_members"',
        "",
    ),
    (
        "top-level-list",
        [],
        {"z.yaml": "- a\n- b\n"},
        "env/z.yaml:1:1",
        "top level of a state file must be a mapping",
        "",
    ),
    (
        "undefined-var",
        [(EN, "${TEMPO_RPC_URL:-https://rpc.moderato.tempo.xyz}", "${TEMPO_RPC_URL}")],
        {},
        "env/environment.yaml:9:14",
        "environment variable TEMPO_RPC_URL is not set and has no default",
        "",
    ),
    (
        "breaker-id-and-tokens",
        [(TV, "        broken: false", '        id: "0x' + "0" * 63 + '2"\n        broken: false')],
        {},
        "env/tempovault.yaml:22:7",
        "give exactly one of `id` (the raw pair id) or `tokens`",
        "",
    ),
    (
        "breaker-same-tokens",
        [(TV, "0x20c0000000000000000000000000000000000001", "0x20c0000000000000000000000000000000000000")],
        {},
        "env/tempovault.yaml:23:17",
        "the two tokens of a pair must differ",
        "",
    ),
    (
        "breaker-one-token",
        [(TV, ', "0x20c0000000000000000000000000000000000001"]', "]")],
        {},
        "env/tempovault.yaml:23:17",
        "tokens: too few items: item [1] is missing",
        "",
    ),
    (
        "oracle-contract-profile",
        [(TV, "contract: governance", "contract: risk")],
        {},
        "env/tempovault.yaml:50:13",
        "has profile tempovault/risk-controller; the oracle needs an access-control contract",
        "",
    ),
    (
        "relay-service",
        [(TV, "service: tempovault-oracle", "service: tempovault-orcle")],
        {},
        "env/tempovault.yaml:56:14",
        (
            'service "tempovault-orcle" is not declared under hosts.vault-1.services '
            '(did you mean "tempovault-oracle"?)'
        ),
        "",
    ),
    (
        "stellar-signer-evm-address",
        [
            (
                EN,
                "GB4HMRTA2GFNNE6ZXBERBJFD6ZY5AKZ7MM7ZLOZ3D4GSQX4KFZN3E2YL",
                "0x5b891B43c5a555Cd37FD93892c8990F4b2Eb3E71",
            )
        ],
        {},
        "env/environment.yaml:32:14",
        "not a valid Stellar account address",
        "",
    ),
    (
        "wasm-and-release",
        [(TE, "    admin: GB4", "    release: dist/SHA256SUMS.txt\n    admin: GB4")],
        {},
        "env/teye.yaml:9:14",
        "give at most one of `wasm_sha256` and `release`",
        "",
    ),
    (
        "name-namespace",
        [],
        {"more.yaml": "hosts:\n  governance:\n    connection: local\n"},
        "env/more.yaml:2:3",
        'name "governance" is also used by contracts.governance',
        "",
    ),
    (
        "bad-name",
        [(TV, "  vault:\n", "  vault/x:\n")],
        {},
        "env/tempovault.yaml:38:3",
        'name "vault/x" can only use letters, digits',
        "",
    ),
    (
        "min-fee-no-fee-token",
        [
            (
                EN,
                (
                    '    fee_token: "0x20C0000000000000000000000000000000000000"'
                    "   # Tempo has no native gas token (pathUSD)\n"
                ),
                "",
            )
        ],
        {},
        "env/tempovault.yaml:52:20",
        'network "tempo" has no fee_token',
        "",
    ),
    (
        "indexer-lag-stellar",
        [(HO, "network: tempo", "network: stellar-testnet")],
        {},
        "env/hosts.yaml:17:18",
        "indexer lag is measured on an EVM network",
        "",
    ),
    (
        "custom-missing-key",
        [],
        {
            "custom.yaml": (Path(__file__).parent / "data/desired/custom-contract.yaml")
            .read_text()
            .replace("        key:", "        # key:")
        },
        "env/custom.yaml:14:7",
        "`key` is required: the setter takes a key then the value",
        "",
    ),
    (
        "custom-bad-signature",
        [],
        {
            "custom.yaml": (Path(__file__).parent / "data/desired/custom-contract.yaml")
            .read_text()
            .replace('"oracle()(address)"', '"oracle()"')
        },
        "env/custom.yaml:11:15",
        "expected a getter signature",
        "",
    ),
    (
        "value-list-for-string",
        [(HO, 'POLL_INTERVAL: "2"', "POLL_INTERVAL: [2]")],
        {},
        "env/hosts.yaml:12:26",
        "POLL_INTERVAL: expected a mapping or a string, got a list",
        "",
    ),
    (
        "unquoted-hex-address",
        [
            (
                TV,
                'approved_tokens: ["0x20C0000000000000000000000000000000000000"]',
                "approved_tokens: [0x20C0000000000000000000000000000000000000, 12]",
            )
        ],
        {},
        "env/tempovault.yaml:42:67",
        "approved_tokens[1]: expected an EVM address",
        "",
    ),
    (
        # The oracle block makes oracle.address the only ORACLE holder: a second list would be silently ignored.
        "oracle-role-twice",
        [
            (
                TV,
                'STRATEGIST: ["0x4f7c33869c5BE4b85b4e97975a5FdAD463380478"]\n',
                'STRATEGIST: ["0x4f7c33869c5BE4b85b4e97975a5FdAD463380478"]\n'
                '      ORACLE: ["0xd9028C36e945319f87aa2E869749C70e702644ee", '
                '"0x5b891B43c5a555Cd37FD93892c8990F4b2Eb3E71"]\n',
            )
        ],
        {},
        "env/tempovault.yaml:14:7",
        "ORACLE is also declared by the oracle block (oracle.address at env/tempovault.yaml:52:12)",
        "",
    ),
    (
        "zero-fee-treasury",
        [(TV, '{treasury: "0x5b891B43c5a555Cd37FD93892c8990F4b2Eb3E71"', '{treasury: "0x0000000000000000000000000000000000000000"')],
        {},
        "env/tempovault.yaml:44:28",
        "fee_config.treasury: the fee treasury must not be the zero address: setFeeConfig reverts FeeTreasuryNotSet()",
        "",
    ),
    (
        "ssh-password",
        [(HO, "ssh://tempovault@", "ssh://tempovault:pw@")],
        {},
        "env/hosts.yaml:3:17",
        "passwords never go in YAML",
        "",
    ),
]


@pytest.mark.parametrize(
    ("edits", "extra", "where", "fragment", "secret"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_malformed(
    tmp_path: Path,
    edits: list[tuple[str, str, str]],
    extra: dict[str, str],
    where: str,
    fragment: str,
    secret: str,
) -> None:
    env = make_env(tmp_path, edits, extra)
    with pytest.raises(ValidationError) as info:
        load_environment(env, environ={}, cwd=tmp_path)
    rendered = info.value.render()
    wanted = [d for d in info.value.diagnostics if d.where == where and fragment in d.render()]
    assert wanted, f"expected {where}: …{fragment}… in:\n{rendered}"
    if secret:
        assert secret not in rendered
        assert secret.split()[0] not in rendered if " " not in secret else secret not in rendered


def test_table_is_large_enough() -> None:
    assert len(CASES) >= 30


def test_several_errors_at_once(tmp_path: Path) -> None:
    env = make_env(
        tmp_path,
        [
            (TV, "signer: admin", "signer: admn"),
            (BK, '"0 2 * * *"', '"0 25 * * *"'),
            (HO, "max_blocks: 100", "max_blocks: lots"),
        ],
    )
    with pytest.raises(ValidationError) as info:
        load_environment(env, environ={}, cwd=tmp_path)
    files = {d.where.split(":")[0] for d in info.value.diagnostics}
    assert files == {"env/tempovault.yaml", "env/backups.yaml", "env/hosts.yaml"}


def test_unknown_environment_suggests(tmp_path: Path) -> None:
    (tmp_path / "state" / "tempo-testnet").mkdir(parents=True)
    with pytest.raises(ConfigError) as info:
        load_environment("tempo-tesnet", cwd=tmp_path)
    assert 'Did you mean "tempo-testnet"?' in info.value.render()
