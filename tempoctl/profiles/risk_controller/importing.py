"""`tempoctl import` for `tempovault/risk-controller`: circuit breakers that are tripped but not declared,
found from `CircuitBreakerTriggered` events since the import's `--from-block` and confirmed with
`pairCircuitBroken` at the pinned block."""

from __future__ import annotations

from tempoctl.core.addrs import attribute
from tempoctl.profiles.base import Call, ImportContext
from tempoctl.profiles.risk_controller.model import RiskControllerContract, pair_id

BREAKER_TRIGGERED = "CircuitBreakerTriggered(bytes32,address)"


def undeclared(ictx: ImportContext, name: str, contract: RiskControllerContract) -> None:
    from tempoctl.observed.evm.abi import keccak
    from tempoctl.observed.evm.logs import fetch_logs

    client = ictx.client(contract.network)
    pin = ictx.pins.get(contract.network, {})
    if client is None or "block" not in pin:
        return
    block = int(pin["block"])
    topic = keccak(BREAKER_TRIGGERED.encode())
    declared = {pair_id(b).lower() for b in contract.circuit_breakers.values()}
    seen: list[str] = []
    for log in fetch_logs(client, contract.address, [topic], ictx.from_block, block):
        topics = log.get("topics") or []
        if len(topics) >= 2:
            pid = str(topics[1]).lower()
            if pid not in declared and pid not in seen:
                seen.append(pid)
    calls = [Call(contract.address, "pairCircuitBroken(bytes32)(bool)", (bytes.fromhex(p[2:]),)) for p in seen]
    taken = set(contract.circuit_breakers)
    for pid, res in zip(seen, ictx.read(contract.network, calls, block)):
        if not (res.ok and res.value):
            continue
        bname = f"pair-{pid[2:10]}"
        while bname in taken:
            bname += "-1"
        taken.add(bname)
        ictx.found(attribute(name, "circuit_breaker", bname), ("contracts", name, "circuit_breakers", bname),
                   {"id": pid, "broken": True})
