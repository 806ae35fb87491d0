"""The `timelock` plug-in: read the delay and role members, plan one scheduled operation.

Reading: `getMinDelay()`, the role ids from `PROPOSER_ROLE()`/`EXECUTOR_ROLE()`/`CANCELLER_ROLE()`, members
rebuilt from RoleGranted/RoleRevoked logs since `from_block` and confirmed with `hasRole` at the pinned block
(as access-control does for non-enumerable contracts). The differences become the calls of ONE batch
operation on the timelock itself (`updateDelay`, `grantRole`, `revokeRole`: each is `onlyRole(timelock)`).
Its salt is derived from the calls, so plan and apply find the same operation: the first salt whose operation
is not done yet (`getTimestamp(id) != 1`), read from the timelock — the timelock's own record of scheduled
operations is what says "pending", so a laptop and CI see the same wait.

Planning `<c>.operation`: not scheduled → `scheduleBatch(…, delay)` by a declared proposer; scheduled, not
ready → a pending change whose note says `waiting until <ready time>` (apply skips it); ready →
`executeBatch(…)` by a declared executor (anyone's signer when 0x000…000 holds EXECUTOR).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from typing import Any

from tempoctl.core.addrs import RoleId, attribute
from tempoctl.observed.observation import ObservedValues
from tempoctl.plan.model import Action, Change, DriftItem
from tempoctl.profiles.base import Call, EvmFolderProfile, ObserveContext, ObserveGen, PlanContext, PlanItem
from tempoctl.profiles.signer_roles import as_hex32
from tempoctl.profiles.timelock.model import TimelockContract

ROLES = {"proposers": "PROPOSER", "executors": "EXECUTOR", "cancellers": "CANCELLER"}
ZERO = "0x0000000000000000000000000000000000000000"
ZERO32 = b"\x00" * 32
SALTS = 4  # identical operations done before: the next salt is used
_HASH = "hashOperationBatch(address[],uint256[],bytes[],bytes32,bytes32)(bytes32)"


def _calls(name: str, contract: TimelockContract, observed: ObservedValues) -> list[tuple[str, tuple[Any, ...], str]]:
    """(signature, args, display) of every call that brings the timelock to the YAML, in a stable order."""
    out: list[tuple[str, tuple[Any, ...], str]] = []
    values = observed.values
    live_delay = values.get(attribute(name, "min_delay"))
    if contract.min_delay is not None and isinstance(live_delay, int) and live_delay != contract.min_delay:
        out.append(("updateDelay(uint256)", (contract.min_delay,), f"updateDelay({contract.min_delay})"))
    for key, role in ROLES.items():
        want = getattr(contract, key)
        have = values.get(attribute(name, key))
        rid = values.get(str(RoleId(name, role)))
        if want is None or not isinstance(have, list) or not isinstance(rid, str):
            continue
        for m in want:
            if m not in have:
                out.append(("grantRole(bytes32,address)", (bytes.fromhex(rid[2:]), m), f"grantRole({role}, {m})"))
        for m in sorted(set(have) - set(want)):
            out.append(("revokeRole(bytes32,address)", (bytes.fromhex(rid[2:]), m), f"revokeRole({role}, {m})"))
    return out


def _digest(calls: list[tuple[str, tuple[Any, ...], str]]) -> str:
    return hashlib.sha256(json.dumps([d for _, _, d in calls]).encode()).hexdigest()


def _salt(calls: list[tuple[str, tuple[Any, ...], str]], k: int) -> bytes:
    return hashlib.sha256(f"tempoctl:{_digest(calls)}:{k}".encode()).digest()


def _batch(address: str, calls: list[tuple[str, tuple[Any, ...], str]]) -> tuple[list[str], list[int], list[bytes]]:
    from tempoctl.observed.evm.abi import encode_call

    return [address] * len(calls), [0] * len(calls), [encode_call(sig, args) for sig, args, _ in calls]


def _summary(name: str, contract: TimelockContract, values: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Live and declared values of what the operation changes (delay, member lists), for the plan."""
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    if contract.min_delay is not None and values.get(attribute(name, "min_delay")) != contract.min_delay:
        before["min_delay"], after["min_delay"] = values.get(attribute(name, "min_delay")), contract.min_delay
    for key in ROLES:
        want, have = getattr(contract, key), values.get(attribute(name, key))
        if want is not None and isinstance(have, list) and set(want) != set(have):
            before[key], after[key] = have, list(want)
    return before, after


class TimelockProfile(EvmFolderProfile):
    name = "timelock"

    def observe(self, ctx: ObserveContext, name: str, contract: TimelockContract) -> ObserveGen:
        from tempoctl.observed.evm.logs import replay_role_events

        addr = contract.address
        first = yield [Call(addr, "getMinDelay()(uint256)"), *(Call(addr, f"{r}_ROLE()(bytes32)") for r in ROLES.values())]
        if not all(r.ok for r in first):
            ctx.observed.error(("contracts", name, "address"),
                               f"{name} ({addr}) does not answer getMinDelay()/PROPOSER_ROLE(): "
                               "not an OpenZeppelin TimelockController")
            return
        ctx.observed.values[attribute(name, "min_delay")] = int(first[0].value)
        ids = {key: as_hex32(r.value) for key, r in zip(ROLES, first[1:])}
        replay = replay_role_events(ctx.client, addr, contract.from_block, ctx.block)
        by_id = {as_hex32(k): set(v) for k, v in replay.members.items()}
        pairs = [(key, m) for key in ROLES
                 for m in sorted(by_id.get(ids[key], set()) | set(getattr(contract, key) or []))]
        res = yield [Call(addr, "hasRole(bytes32,address)(bool)", (bytes.fromhex(ids[k][2:]), m)) for k, m in pairs]
        for key, role in ROLES.items():
            ctx.observed.values[str(RoleId(name, role))] = ids[key]
            ctx.observed.values[attribute(name, key)] = sorted(m for (k, m), x in zip(pairs, res) if k == key and x.ok and x.value)
        calls = _calls(name, contract, ctx.observed)
        if not calls:
            return
        targets, vals, payloads = _batch(addr, calls)
        hashed = yield [Call(addr, _HASH, (targets, vals, payloads, ZERO32, _salt(calls, k))) for k in range(SALTS)]
        op_ids = [bytes(h.value) for h in hashed if h.ok]
        state = yield [c for i in op_ids for c in (Call(addr, "getTimestamp(bytes32)(uint256)", (i,)),
                                                   Call(addr, "isOperationReady(bytes32)(bool)", (i,)))]
        for k, op in enumerate(op_ids):
            ts, ready = state[2 * k], state[2 * k + 1]
            if ts.ok and int(ts.value) != 1:  # 1: done; the next salt names a fresh operation
                ctx.observed.values[attribute(name, "operation")] = {
                    "id": "0x" + op.hex(), "salt": k, "digest": _digest(calls), "ready_at": int(ts.value),
                    "ready": bool(ready.ok and ready.value)}
                return

    def plan(self, ctx: PlanContext, name: str, contract: TimelockContract) -> Iterable[PlanItem]:
        values = ctx.observed.values
        calls = _calls(name, contract, ctx.observed)
        op = values.get(attribute(name, "operation"))
        if not calls:
            return
        if not isinstance(op, dict) or op.get("digest") != _digest(calls):
            yield DriftItem(address=attribute(name, "operation"), kind="operation_unread", expected=[d for _, _, d in calls],
                            actual=None, message=f"{name}: the timelock did not answer for the operation that "
                            f"makes these changes (or the last {SALTS} identical ones are done); nothing planned")
            return
        targets, vals, payloads = _batch(contract.address, calls)
        salt = _salt(calls, int(op["salt"]))
        shown = "; ".join(d for _, _, d in calls)

        def change(note: str, steps: list[Any], *, pending: bool = False) -> Change:
            return Change(address=attribute(name, "operation"), action=Action.UPDATE, before=before, after=after, reason=ctx.env.where("contracts", name), note=note,
                          steps=steps, pending=pending)

        delay = int(values.get(attribute(name, "min_delay"), 0))
        before, after = _summary(name, contract, values)
        if op["ready_at"] == 0:
            signer = self._holder(ctx, name, contract, "proposers")
            yield change(f"scheduled now, executable {delay} s later by a later apply", [
                ctx.step(name, contract.address, "scheduleBatch(address[],uint256[],bytes[],bytes32,bytes32,uint256)",
                         (targets, vals, payloads, ZERO32, salt, delay), signer, f"scheduleBatch({shown})")])
        elif not op["ready"]:
            at = dt.datetime.fromtimestamp(int(op["ready_at"]), dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
            yield change(f"waiting until {at} (the timelock's delay)\noperation {op['id']} is scheduled; "
                         "a later apply executes it", [], pending=True)
        else:
            signer = self._holder(ctx, name, contract, "executors")
            yield change(f"operation {op['id']} is ready", [
                ctx.step(name, contract.address, "executeBatch(address[],uint256[],bytes[],bytes32,bytes32)",
                         (targets, vals, payloads, ZERO32, salt), signer, f"executeBatch({shown})")])

    def _holder(self, ctx: PlanContext, name: str, contract: TimelockContract, key: str) -> str | None:
        """The contract's signer when it holds the role live, else a declared signer that does (any declared
        signer on the network when 0x000…000 holds it: the role is open)."""
        live = ctx.observed.values.get(attribute(name, key)) or []
        on_net = {n: s.address for n, s in ctx.env.state.signers.items() if s.network == contract.network}
        if contract.signer in on_net and (on_net[contract.signer] in live or ZERO in live):
            return contract.signer
        return next((str(n) for n, a in on_net.items() if a in live or ZERO in live), None)
