"""Which declared signer can send a step that needs a role on a governance contract.

The TempoVault contracts authorise through `GovernanceRoles.checkRole`, so the signer of a breaker trip is
not "the contract's signer" but whoever holds RISK_OFFICER (reference §11, §17: operator keys are per role).
This module reads role ids through their `<NAME>_ROLE()` getters and checks `hasRole` for every declared
signer of the network, in two batched rounds, and records the answer as a fact.
"""

from __future__ import annotations

from typing import Any

from tempoctl.profiles.base import Call, ObserveContext, ObserveGen

ZERO32 = "0x" + "00" * 32


def role_getter(role: str) -> str:
    """`ADMIN` is read from `ADMIN_ROLE()` (= 0x00 on TempoVault); never hash the string "ADMIN_ROLE"."""
    return f"{role}_ROLE()(bytes32)"


def as_hex32(value: Any) -> str:
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex().rjust(64, "0")
    return str(value).lower()


def network_signers(ctx: ObserveContext) -> dict[str, str]:
    """Signer name -> address, for the signers declared on this EVM network."""
    return {n: s.address for n, s in ctx.env.state.signers.items() if s.network == ctx.network}


def observe_role_ids(ctx: ObserveContext, governance: str, roles: list[str]) -> ObserveGen:
    """Resolve role names to ids on `governance`, recording `observed.role_ids[(governance, NAME)]`."""
    ids: dict[tuple[str, str], str] = ctx.observed.role_ids
    wanted = [r for r in dict.fromkeys(roles) if (governance, r) not in ids]
    if not wanted:
        return
    calls = [Call(governance, role_getter(r)) for r in wanted]
    if "ADMIN" in wanted:
        calls.append(Call(governance, "DEFAULT_ADMIN_ROLE()(bytes32)"))
    results = yield calls
    for role, res in zip(wanted, results):
        if res.ok:
            ids[(governance, role)] = as_hex32(res.value)
        elif role == "ADMIN":
            ids[(governance, role)] = ZERO32  # OZ DEFAULT_ADMIN_ROLE is 0x00 by definition
    ctx.observed.role_names.update({v: k for (g, k), v in ids.items() if g == governance})


def observe_signer_roles(ctx: ObserveContext, governance: str, roles: list[str]) -> ObserveGen:
    """Record `observed.signer_roles[(governance, ROLE)] = [signer names holding it live]`."""
    yield from observe_role_ids(ctx, governance, roles)
    ids: dict[tuple[str, str], str] = ctx.observed.role_ids
    signers = network_signers(ctx)
    holders: dict[tuple[str, str], list[str]] = ctx.observed.signer_roles
    pairs = [(r, n) for r in roles if (governance, r) in ids for n in signers if (governance, r) not in holders]
    if not pairs:
        return
    results = yield [Call(governance, "hasRole(bytes32,address)(bool)", (bytes.fromhex(ids[(governance, r)][2:]), signers[n])) for r, n in pairs]
    for role in roles:
        holders.setdefault((governance, role), [])
    for (role, name), res in zip(pairs, results):
        if res.ok and res.value:
            holders[(governance, role)].append(name)
