"""The EVM source: an environment's live EVM state: one pinned block per network, every profile's reads merged.

Each profile's `observe` is a generator that yields batches of calls. This engine advances all of them in
lockstep, so each round is one `call_many` per network (one JSON-RPC batch, chunked only by size): the
number of round trips depends on how many rounds the deepest profile needs, never on how many roles,
members or breakers are managed (DESIGN §10).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from tempoctl.desired import DesiredEnvironment
from tempoctl.desired.models import EvmNetwork
from tempoctl.observed.observation import Observation, ReadOptions
from tempoctl.observed.record import record_for
from tempoctl.profiles import ORACLE, REGISTRY
from tempoctl.profiles.base import Call, ObserveContext, ObserveGen, Result


@lru_cache(maxsize=4096)
def _sig(text: str) -> Any:
    from tempoctl.observed.evm.abi import parse_signature

    return parse_signature(text)


def _decode(call: Call, ok: bool, data: bytes) -> Result:
    if not ok:
        return Result(ok=False, revert=data)
    sig = _sig(call.sig)
    try:
        out = sig.decode_output(data)
    except Exception:  # noqa: BLE001 - undecodable return data means "not this interface"
        return Result(ok=False, revert=data)
    return Result(ok=True, value=out[0] if len(out) == 1 else out)


def _run_round(client: Any, block: int, calls: list[Call]) -> list[Result]:
    from tempoctl.observed.evm.client import EthCall

    raw = client.call_many([EthCall(to=c.to, data=_sig(c.sig).encode_call(*c.args), sender=c.sender) for c in calls], block)
    return [_decode(c, r.ok, bytes(r.data)) for c, r in zip(calls, raw)]


def read_calls(client: Any, block: int | str, calls: list[Call]) -> list[Result]:
    """One batched round of read-only calls at `block`, for commands that read beyond the declared items
    (`import` probing role getters and breaker ids)."""
    return _run_round(client, block, calls) if calls else []  # type: ignore[arg-type]


def evm_networks(env: DesiredEnvironment) -> dict[str, EvmNetwork]:
    """EVM networks that some contract or the oracle lives on."""
    used = {c.network for c in env.state.contracts.values() if c.profile in REGISTRY and REGISTRY[c.profile].provider == "evm"}
    return {n: net for n, net in env.state.networks.items() if isinstance(net, EvmNetwork) and n in used}


def connect(env: DesiredEnvironment, *, batching: bool = True, clients: dict[str, Any] | None = None) -> dict[str, Any]:
    """One client per EVM network, with its chain ID checked against the YAML before anything else."""
    from tempoctl.observed.evm.client import EvmClient

    out: dict[str, Any] = {}
    for name, net in evm_networks(env).items():
        out[name] = (clients or {}).get(name)
        if out[name] is None:
            out[name] = EvmClient(net.rpc_url, batching=batching)
        out[name].check_chain(net.chain_id, env.where("networks", name, "chain_id"))
    return out


class EvmSource:
    """Every EVM contract profile and the oracle, read at one pinned block per network."""

    name = "evm"

    def wanted(self, env: DesiredEnvironment) -> bool:
        return bool(evm_networks(env))

    def read(self, env: DesiredEnvironment, out: Observation, options: ReadOptions) -> None:
        clients = connect(env, batching=options.batching, clients=out.clients)
        out.clients.update(clients)
        observed = out.observed
        gens: dict[str, list[ObserveGen]] = {n: [] for n in evm_networks(env)}
        pins: dict[str, int] = {}
        for name in gens:
            ref = clients[name].block("latest")
            pins[name] = ref.number
            out.pins[name] = {"chain_id": env.state.networks[name].chain_id, "block": ref.number,  # type: ignore[union-attr]
                              "block_hash": ref.hash}
        record = record_for(env, out)
        for cname, contract in env.state.contracts.items():
            profile = REGISTRY.get(contract.profile)
            if profile is None or profile.provider != "evm":
                continue
            ctx = ObserveContext(env=env, network=contract.network, chain_id=pins[contract.network],
                                 block=pins[contract.network], client=clients[contract.network], observed=observed,
                                 record=record)
            gens[contract.network].append(profile.observe(ctx, cname, contract))
        oracle = env.state.oracle
        if oracle is not None and oracle.contract in env.state.contracts:
            net = env.state.contracts[oracle.contract].network
            if net in gens:
                ctx = ObserveContext(env=env, network=net, chain_id=pins[net], block=pins[net], client=clients[net],
                                     observed=observed)
                gens[net].append(ORACLE.observe(ctx, "oracle", oracle))
        start = {n: clients[n].round_trips for n in gens}
        for net, active in gens.items():
            _drive(clients[net], pins[net], active)
        out.round_trips += sum(clients[n].round_trips - start[n] for n in gens)


def _drive(client: Any, block: int, gens: list[ObserveGen]) -> None:
    """Advance every generator one batch at a time, merging their calls into one round per step."""
    pending: list[tuple[ObserveGen, list[Call]]] = []
    for g in gens:
        try:
            pending.append((g, next(g)))
        except StopIteration:
            pass
    while pending:
        merged = [c for _, calls in pending for c in calls]
        results = _run_round(client, block, merged) if merged else []
        nxt: list[tuple[ObserveGen, list[Call]]] = []
        i = 0
        for g, calls in pending:
            part = results[i:i + len(calls)]
            i += len(calls)
            try:
                nxt.append((g, g.send(part)))
            except StopIteration:
                pass
        pending = nxt
