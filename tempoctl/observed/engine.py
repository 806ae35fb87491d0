"""The EVM source: an environment's live EVM state: one pinned block per network, every profile's reads merged.

Each profile's `observe` is a generator that yields batches of calls. This engine advances all of them in
lockstep, so each round is one `call_many` per network (one JSON-RPC batch, chunked only by size): the
number of round trips depends on how many rounds the deepest profile needs, never on how many roles,
members or breakers are managed (DESIGN §10).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache, partial
from typing import Any

from tempoctl.desired import DesiredEnvironment
from tempoctl.desired.models import EvmNetwork
from tempoctl.errors import ConfigError, RpcError
from tempoctl.observed.observation import Observation, ReadOptions
from tempoctl.observed.record import record_for
from tempoctl.profiles.base import Call, ObserveContext, ObserveGen, Result
from tempoctl.profiles.registry import EVM_PROFILES, ORACLE


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


def _run_round(client: Any, block: int | str, calls: list[Call],
               extra: list[tuple[str, list[Any]]] | None = None) -> tuple[list[Result], list[dict[str, Any]]]:
    from tempoctl.observed.evm.client import EthCall

    raw, replies = client.read_batch([EthCall(to=c.to, data=_sig(c.sig).encode_call(*c.args), sender=c.sender)
                                      for c in calls], block, extra or [])
    return [_decode(c, r.ok, bytes(r.data)) for c, r in zip(calls, raw)], replies


class NoContractCodeError(ConfigError):
    """A declared contract address has no code at the pinned block: a typo, the wrong network, or a
    contract not deployed yet. Every read of it would look like "not this interface" and every write to it
    would succeed without doing anything, so the plan is refused."""


def check_code(env: DesiredEnvironment, network: str, block: int, contracts: list[tuple[str, str]],
               replies: list[dict[str, Any]], *, host: str = "") -> None:
    """Refuse every declared contract whose `eth_getCode` reply (at the pinned block) is empty."""
    from tempoctl.observed.evm.reverts import hex_bytes

    missing = []
    for (name, address), reply in zip(contracts, replies, strict=True):
        if "error" in reply or not isinstance(reply.get("result"), str):
            raise RpcError(f"eth_getCode of {address} failed on {host or network}: "
                           f"{str((reply.get('error') or {}).get('message', 'no result'))[:200]}")
        if not hex_bytes(reply["result"]):
            missing.append(f"{env.where('contracts', name, 'address')}: contracts.{name}.address: "
                           f"no contract code at {address} on {network} (block {block})")
    if missing:
        first = missing[0].split(": ", 2)[-1]
        raise NoContractCodeError(first if len(missing) == 1 else f"{len(missing)} declared contracts have no code "
                                  f"on {network} (block {block})", detail="\n".join(f"  {m}" for m in missing),
                                  hint="Check the address and the network's rpc_url; nothing was planned.")


def read_calls(client: Any, block: int | str, calls: list[Call]) -> list[Result]:
    """One batched round of read-only calls at `block`, for commands that read beyond the declared items
    (`import` probing role getters and breaker ids)."""
    return _run_round(client, block, calls)[0] if calls else []


def evm_networks(env: DesiredEnvironment) -> dict[str, EvmNetwork]:
    """EVM networks that some contract or the oracle lives on."""
    used = {c.network for c in env.state.contracts.values() if c.profile in EVM_PROFILES}
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
        networks = evm_networks(env)
        gens: dict[str, list[ObserveGen]] = {n: [] for n in networks}
        code: dict[str, list[tuple[str, str]]] = {n: [] for n in gens}  # (name, address) to eth_getCode
        pins: dict[str, int] = {}
        for name in gens:
            ref = clients[name].block("latest")
            pins[name] = ref.number
            out.pins[name] = {"chain_id": networks[name].chain_id, "block": ref.number, "block_hash": ref.hash}
            # Chain time of the pin: ages the contracts measure (oracle staleness) are measured against it.
            observed.block_timestamps[name] = ref.timestamp
        record = record_for(env, out)
        for cname, contract in env.state.contracts.items():
            profile = EVM_PROFILES.get(contract.profile)
            if profile is None:
                continue
            ctx = ObserveContext(env=env, network=contract.network, chain_id=pins[contract.network],
                                 block=pins[contract.network], client=clients[contract.network], observed=observed,
                                 record=record)
            gens[contract.network].append(profile.observe(ctx, cname, contract))
            code[contract.network].append((cname, str(getattr(contract, "address", ""))))
        oracle = env.state.oracle
        if oracle is not None and oracle.contract in env.state.contracts:
            net = env.state.contracts[oracle.contract].network
            if net in gens:
                ctx = ObserveContext(env=env, network=net, chain_id=pins[net], block=pins[net], client=clients[net],
                                     observed=observed)
                gens[net].append(ORACLE.observe(ctx, "oracle", oracle))
        start = {n: clients[n].round_trips for n in gens}
        for net, active in gens.items():
            _drive(clients[net], pins[net], active, code[net],
                   partial(check_code, env, net, pins[net], code[net], host=getattr(clients[net], "host", "")))
        out.round_trips += sum(clients[n].round_trips - start[n] for n in gens)


def _drive(client: Any, block: int, gens: list[ObserveGen], code_of: list[tuple[str, str]] | None = None,
           check: Callable[[list[dict[str, Any]]], None] | None = None) -> None:
    """Advance every generator one batch at a time, merging their calls into one round per step.

    The first round also carries an `eth_getCode` per address of `code_of` (no extra round trip); `check`
    sees those replies before any generator does, so nothing is read further from an address without code.
    """
    pending: list[tuple[ObserveGen, list[Call]]] = []
    for g in gens:
        try:
            pending.append((g, next(g)))
        except StopIteration:
            pass
    extra = [("eth_getCode", [address, hex(block)]) for _, address in code_of or []]
    if extra and not pending:
        _, replies = _run_round(client, block, [], extra)
        if check is not None:
            check(replies)
    while pending:
        merged = [c for _, calls in pending for c in calls]
        results: list[Result] = []
        if merged or extra:
            results, replies = _run_round(client, block, merged, extra)
            if extra and check is not None:
                check(replies)
            extra = []
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
