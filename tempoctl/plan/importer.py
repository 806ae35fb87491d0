"""`tempoctl import`: find live state that the YAML does not declare yet, as additions to the state files.

Sits beside the plan: it observes like a plan does (same engine, same pinned block), but instead of
computing changes towards the YAML it computes the YAML that would make the plan empty for those items:

* role holders not listed (declared roles, ADMIN, and the well-known TempoVault roles whose `<NAME>_ROLE()`
  getter answers), on every `access-control` contract;
* circuit breakers that are tripped but not declared, found from `CircuitBreakerTriggered` events and
  confirmed with `pairCircuitBroken` at the pinned block;
* Soroban keys (`vision_records` whitelist members and admin tiers) that are live but not declared, among
  the keys the Stellar source reads: declared, recorded in the backend as managed before, and found in
  recent invocations of the contract (a Soroban map cannot be enumerated).

The result is plain data (per file, a nested dict to merge); printing and writing are the CLI's business.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tempoctl.core.addrs import Attribute, RoleMember, RoleSet, attribute
from tempoctl.desired import DesiredEnvironment
from tempoctl.desired.models import (
    AccessControlContract,
    RiskControllerContract,
    RoleSpec,
    VisionRecordsContract,
)
from tempoctl.observed.engine import connect, read_calls
from tempoctl.observed.observation import Observation
from tempoctl.observed.sources import observe
from tempoctl.profiles.access_control import declared_roles
from tempoctl.profiles.base import Call
from tempoctl.profiles.risk_controller import pair_id
from tempoctl.profiles.signer_roles import as_hex32, role_getter

# Roles of TempoVault's GovernanceRoles (reference §3); probed on every access-control contract so a role
# that is held but not declared at all is found too.
WELL_KNOWN_ROLES = ("ADMIN", "TREASURY_MANAGER", "RISK_OFFICER", "EMERGENCY", "ORACLE", "STRATEGIST")
BREAKER_TRIGGERED = "CircuitBreakerTriggered(bytes32,address)"


@dataclass(frozen=True)
class ImportedItem:
    """One live item that is not declared: its resource address and the state file it goes into."""

    address: str
    file: Path


@dataclass
class ImportResult:
    """What import found. `additions[file]` is a nested plain dict to merge into that file."""

    environment: str
    pins: dict[str, dict[str, Any]]
    items: list[ImportedItem] = field(default_factory=list)
    additions: dict[Path, dict[str, Any]] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add(self, file: Path, address: str, path: tuple[str, ...], value: Any) -> None:
        node = self.additions.setdefault(file, {})
        for key in path[:-1]:
            node = node.setdefault(key, {})
        last = path[-1]
        if isinstance(value, list) and isinstance(node.get(last), list):
            node[last].extend(v for v in value if v not in node[last])
        else:
            node[last] = value
        self.items.append(ImportedItem(address, file))


def find_undeclared(env: DesiredEnvironment, *, from_block: int = 0,
                    clients: dict[str, Any] | None = None) -> ImportResult:
    """Observe `env` (plus the undeclared well-known roles) and return what is live but not declared.

    Args:
        env: the loaded environment.
        from_block: first block to scan for `CircuitBreakerTriggered` events (a contract's deployment block).
        clients: EVM clients by network name (tests pass their own), else connected from the YAML.
    """
    clients = connect(env, clients=clients)
    probed = _probe_roles(env, clients)
    obs = observe(_with_roles(env, probed), clients=clients)
    result = ImportResult(environment=env.name, pins=obs.pins)
    for name, contract in env.state.contracts.items():
        file = env.positions.file_of(("contracts", name))
        if file is None:
            continue
        if isinstance(contract, AccessControlContract):
            _import_roles(env, obs, result, name, contract, probed.get(name, {}), file)
        elif isinstance(contract, RiskControllerContract) and contract.network in clients:
            _import_breakers(obs, result, name, contract, clients[contract.network], from_block, file)
        elif isinstance(contract, VisionRecordsContract):
            _import_soroban_keys(obs, result, name, contract, file)
    return result


def _probe_roles(env: DesiredEnvironment, clients: dict[str, Any]) -> dict[str, dict[str, str]]:
    """contract name -> {role name: id} for well-known roles it has a getter for but does not declare."""
    names = list(WELL_KNOWN_ROLES)
    for c in env.state.contracts.values():
        if isinstance(c, AccessControlContract):
            names += [r for r in c.roles if r not in names]
    found: dict[str, dict[str, str]] = {}
    for net, client in clients.items():
        asks: list[tuple[str, str]] = []
        for name, c in env.state.contracts.items():
            if isinstance(c, AccessControlContract) and c.network == net:
                skip = set(declared_roles(env, name, c)) | {"ADMIN"}  # ADMIN is always observed
                asks += [(name, r) for r in names if r not in skip]
        calls = [Call(env.state.contracts[n].address, role_getter(r)) for n, r in asks]  # type: ignore[union-attr]
        for (name, role), res in zip(asks, read_calls(client, "latest", calls)):
            if res.ok:
                found.setdefault(name, {})[role] = as_hex32(res.value)
    return found


def _with_roles(env: DesiredEnvironment, probed: dict[str, dict[str, str]]) -> DesiredEnvironment:
    """`env` with each probed role declared with no members, so the engine reads its holders too."""
    if not probed:
        return env
    contracts = dict(env.state.contracts)
    for name, roles in probed.items():
        c = contracts[name]
        assert isinstance(c, AccessControlContract)
        extra = {r: RoleSpec(id=rid, members=[]) for r, rid in roles.items()}
        contracts[name] = c.model_copy(update={"roles": {**c.roles, **extra}})
    return dataclasses.replace(env, state=env.state.model_copy(update={"contracts": contracts}))


def _import_roles(env: DesiredEnvironment, obs: Observation, result: ImportResult, name: str,
                  contract: AccessControlContract, probed: dict[str, str], file: Path) -> None:
    values = obs.observed.values
    declared = declared_roles(env, name, contract)
    oracle = env.state.oracle
    oracle_role = oracle.role if oracle is not None and oracle.contract == name else None
    for role in dict.fromkeys(["ADMIN", *declared, *probed]):
        live = values.get(str(RoleSet(name, role)))
        if live is None:
            continue
        want = declared[role][0] if role in declared else []
        new = [m for m in sorted(live) if m not in want]
        if not new:
            continue
        if role == oracle_role:
            result.notes.append(
                f"{name}: {', '.join(new)} hold{'s' if len(new) == 1 else ''} {role}, which the oracle block "
                f"declares as exactly {oracle.address if oracle else '?'}; not imported (the plan revokes it)")
            continue
        spec = contract.roles.get(role)
        path: tuple[str, ...] = ("contracts", name, "roles", role)
        if isinstance(spec, RoleSpec):
            path += ("members",)
        for m in new:
            result.add(file, str(RoleMember(name, role, m)), path, [m])


def _import_breakers(obs: Observation, result: ImportResult, name: str, contract: RiskControllerContract,
                     client: Any, from_block: int, file: Path) -> None:
    from tempoctl.observed.evm.abi import keccak
    from tempoctl.observed.evm.logs import fetch_logs

    block = int(obs.pins[contract.network]["block"])
    topic = keccak(BREAKER_TRIGGERED.encode())
    declared = {pair_id(b).lower() for b in contract.circuit_breakers.values()}
    seen: list[str] = []
    for log in fetch_logs(client, contract.address, [topic], from_block, block):
        topics = log.get("topics") or []
        if len(topics) >= 2:
            pid = str(topics[1]).lower()
            if pid not in declared and pid not in seen:
                seen.append(pid)
    calls = [Call(contract.address, "pairCircuitBroken(bytes32)(bool)", (bytes.fromhex(p[2:]),)) for p in seen]
    taken = set(contract.circuit_breakers)
    for pid, res in zip(seen, read_calls(client, block, calls)):
        if not (res.ok and res.value):
            continue
        bname = f"pair-{pid[2:10]}"
        while bname in taken:
            bname += "-1"
        taken.add(bname)
        result.add(file, attribute(name, "circuit_breaker", bname), ("contracts", name, "circuit_breakers", bname),
                   {"id": pid, "broken": True})


def _import_soroban_keys(obs: Observation, result: ImportResult, name: str, contract: VisionRecordsContract,
                         file: Path) -> None:
    values = obs.observed.values
    wl = contract.whitelist
    declared = set(wl.members or []) if wl is not None else set()
    for address in sorted(values):
        live, a = values[address], Attribute.parse(address)
        if a is None or a.name != name or a.key is None:
            continue
        key = a.key
        if a.attribute == "whitelist" and live is True and key not in declared:
            result.add(file, address, ("contracts", name, "whitelist", "members"), [key])
        elif a.attribute == "admin_tier" and isinstance(live, str) and key not in contract.admin_tiers:
            result.add(file, address, ("contracts", name, "admin_tiers", key), live)
