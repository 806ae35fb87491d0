"""Hand-built plans for the renderer and plan-file tests (no chain needed: rendering is pure)."""

from __future__ import annotations

from tempoctl.plan.model import Action, Change, DriftItem, Plan, Simulation, Step

ORACLE_NEW = "0xD7c37217De9DE47A8DAe64e220446873d8556497"
ORACLE_OLD = "0xd9028C36e945319f87aa2E869749C70e702644ee"
ACCESS = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
RISK = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"
ORACLE_ROLE = "0x68e79a7bf1e0bc45d0a330c573bc367f9cf464fd326078812f301165fbda4ef1"
# Fake secrets used to prove that no rendering ever contains them.
SECRET_TOKEN = "tok_live_4f9a8b7c6d5e4f3a2b1c0d9e"
SECRET_KEY = "0x" + "ab" * 32
SECRET_SEED = "SBSTJBQX5Y3V4J6EU6BKHHB5HYU4RQ2KSTCDJ5NQ2TJBKMKHGZRLLOOP"
STELLAR_ACCOUNT = "GB4HD5BNGDDQPRYVDQ7UY6MFLY6OKDQIXUD5MFZJNQ5DRH3DJ6ICE2YL"

TEMPO = {"tempo": {"chain_id": 42431, "block": 123, "block_hash": "0x" + "11" * 32}}


def _evm(display: str, fn: str, args: list[object], signer: str, sim: Simulation, **extra: object) -> Step:
    fields: dict[str, object] = {"network": "tempo", "chain_id": 42431, "to": ACCESS, "function": fn,
                                 "args": args, "data": "0x2f2ff15d" + "00" * 8}
    fields.update(extra)
    return Step(kind="evm_transaction", display=display, signer=signer, fields=fields, simulation=sim)


def roles_plan() -> Plan:
    """DESIGN §5's sample: a Safe grant, a breaker update, a not-declared revoke (grants before revokes)."""
    grant = Change(
        address=f"governance.role.ORACLE[{ORACLE_NEW}]", action=Action.CREATE, before=False, after=True,
        reason="state/tempo-testnet/tempovault.yaml:12:7",
        steps=[_evm(f"grantRole(ORACLE, {ORACLE_NEW})", "grantRole", ["ORACLE", ORACLE_NEW], "admin",
                    Simulation(status="ok", gas=74120), via="safe")],
    )
    breaker = Change(
        address="risk.circuit_breaker[legacy-pair]", action=Action.UPDATE,
        before={"broken": False, "pair": "0x" + "00" * 31 + "01"},
        after={"broken": True, "pair": "0x" + "00" * 31 + "01"},
        reason="state/tempo-testnet/tempovault.yaml:40:9",
        steps=[_evm("triggerCircuitBreaker(0x…0001)", "triggerCircuitBreaker", ["0x" + "00" * 31 + "01"],
                    "risk_officer", Simulation(status="ok"))],
    )
    revoke = Change(
        address=f"governance.role.ORACLE[{ORACLE_OLD}]", action=Action.DELETE, before=True, after=False,
        reason="not declared", depends_on=[grant.address],
        steps=[_evm(f"revokeRole(ORACLE, {ORACLE_OLD})", "revokeRole", ["ORACLE", ORACLE_OLD], "admin",
                    Simulation(status="ok", gas=31022))],
    )
    return Plan(environment="tempo-testnet", created_at="2026-11-23T12:00:00Z", tool_version="0.1.0",
                observed=TEMPO, changes=[grant, breaker, revoke], inputs={grant.address: False},
                state_digest="sha256:" + "cd" * 32)


def risk_plan() -> Plan:
    """A risk_params struct update (only differing fields shown), a reverting simulation, a pending Safe
    change with a dependency, and a sensitive env value on a host."""
    params = Change(
        address="risk.risk_params", action=Action.UPDATE,
        before={"maxTickDeviation": 200, "maxInventory": 1000000, "minLiquidity": 50, "cooldown": 60},
        after={"maxTickDeviation": 150, "maxInventory": 2000000, "minLiquidity": 50, "cooldown": 60},
        reason="state/tempo-testnet/tempovault.yaml:30:5",
        steps=[Step(kind="evm_transaction", display="setRiskParams(150, 2000000, 50, 60)", signer="deployer",
                    fields={"network": "tempo", "to": RISK, "function": "setRiskParams"},
                    simulation=Simulation(status="revert",
                                          error=f"AccessControlUnauthorizedAccount({ACCESS}, RISK_OFFICER)"))],
    )
    pause = Change(
        address="risk.paused", action=Action.UPDATE, before=False, after=True,
        reason="state/tempo-testnet/tempovault.yaml:22:3", pending=True, depends_on=["risk.risk_params"],
        note="Safe batch written to plans/tempo-testnet-safe-batch.json",
        steps=[Step(kind="evm_transaction", display="pause()", signer="admin",
                    fields={"network": "tempo", "to": RISK, "function": "pause", "via": "safe"},
                    simulation=Simulation(status="skipped", note="Safe transaction"))],
    )
    env = Change(
        address="vault-1.env_file[/etc/tempovault/api.env]", action=Action.UPDATE,
        before={"API_TOKEN": "tok_old_value_123456", "LOG_LEVEL": "info"},
        after={"API_TOKEN": SECRET_TOKEN, "LOG_LEVEL": "info"},
        reason="state/tempo-testnet/hosts.yaml:8:5", sensitive=True,
        steps=[Step(kind="host_command", display="write /etc/tempovault/api.env; restart tempovault-api",
                    fields={"host": "vault-1", "content": f"API_TOKEN={SECRET_TOKEN}\nLOG_LEVEL=info\n",
                            "private_key": SECRET_KEY})],
    )
    return Plan(environment="tempo-testnet", created_at="2026-11-23T12:00:00Z", tool_version="0.1.0",
                observed=TEMPO, changes=[params, pause, env], state_digest="sha256:" + "ef" * 32,
                notes=[f"a note that mentions a seed {SECRET_SEED} by mistake"])


def drift_only_plan() -> Plan:
    """Nothing to change, but warn-level drift (an unlisted whitelist member, a stale backup)."""
    return Plan(
        environment="teye-testnet", created_at="2026-11-23T12:00:00Z", tool_version="0.1.0",
        observed={"stellar": {"passphrase": "Test SDF Network ; September 2015", "ledger": 456}},
        drift=[
            DriftItem(address=f"vision_records.whitelist[{STELLAR_ACCOUNT}]", kind="unlisted_member",
                      expected=None, actual=True, message="whitelisted but not declared (unlisted: warn)"),
            DriftItem(address="tempovault-db.freshness", kind="check", expected="< 26h", actual="31h",
                      message="last backup is older than the policy allows"),
        ],
    )


def soroban_plan() -> Plan:
    """A Soroban replace (contract id) with several ordered steps and a fee simulation."""
    contract_old = "C" + "A" * 55
    contract_new = "CDLZFC3SYJYDZT7K67VZ75HPJVIEUVNIXF47ZG2FB2RMQQVU2HHGCYSC"
    change = Change(
        address="vision_records.contract_id", action=Action.REPLACE, before=contract_old, after=contract_new,
        reason="state/teye-testnet/teye.yaml:5:17",
        steps=[
            Step(kind="soroban_invocation", display=f"verify {contract_new} (wasm hash, admin)", signer=None,
                 fields={"network": "stellar", "contract": contract_new, "function": "get_admin"},
                 simulation=Simulation(status="ok", fee=10234)),
            Step(kind="host_command", display="write descriptor deployments/testnet.json", signer=None),
            Step(kind="host_command", display="restart teye-api", signer=None),
        ],
    )
    return Plan(environment="teye-testnet", created_at="2026-11-23T12:00:00Z", tool_version="0.1.0",
                observed={"stellar": {"passphrase": "Test SDF Network ; September 2015", "ledger": 456}},
                changes=[change], targets=["vision_records.contract_id"])


PLANS = {"roles": roles_plan, "risk": risk_plan, "drift_only": drift_only_plan, "soroban": soroban_plan}
