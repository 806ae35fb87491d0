"""`plan --fork`: run every EVM step of a plan, in plan order, on local anvil forks of its networks at the
plan's pinned blocks, then observe the forks again and plan against them (what would remain after apply).

This is review evidence, not approval: results go into `Step.fork` and `Plan.fork`, which the fingerprint and
apply's rebuild comparison leave out. The plan's changes are never altered by a fork run. Soroban, host and
wait steps cannot run on an EVM fork and are labelled `not fork-simulated`.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from typing import Any

from tempoctl.core.steps import EvmTx, group_of
from tempoctl.desired import DesiredEnvironment
from tempoctl.desired.models import EvmNetwork
from tempoctl.plan.model import Change, ForkStep

GAS_LABEL = "anvil's gas (anvil has no Tempo fee-token precompile; fees on the fork are not Tempo's)"
_NOT_FORKED = {
    "soroban_invocation": "Soroban step", "host_command": "host step", "wait": "waits on live services",
}


def networks_to_fork(env: DesiredEnvironment, requested: bool | None, pins: dict[str, dict[str, Any]]) -> list[str]:
    """EVM networks read at a pinned block that this plan forks: all of them for `--fork`, none for `--no-fork`,
    else those whose state declares `fork: true`."""
    nets = [n for n, net in env.state.networks.items() if isinstance(net, EvmNetwork) and "block" in pins.get(n, {})]
    if requested is None:
        return [n for n in nets if getattr(env.state.networks[n], "fork", False)]
    return nets if requested else []


def _label(kind: str) -> str:
    return f"not fork-simulated ({_NOT_FORKED.get(kind, kind)})"


def run_fork(env: DesiredEnvironment, changes: list[Change], obs: Any, networks: list[str],
             select: Callable[[list[Change]], list[Change]] | None = None) -> dict[str, Any]:
    """Fork `networks`, run `changes` on them, and return the plan-level report (steps get `fork` set).

    The forks are stopped and removed before this returns or raises.
    """
    from tempoctl.observed.evm.client import EvmClient
    from tempoctl.plan.fork.execute import ForkExecutor
    from tempoctl.plan.fork.node import find_anvil, fork_node

    binary = find_anvil(getattr(obs, "cwd", None))
    role_names = dict(obs.observed.role_names)
    started = time.monotonic()
    report: dict[str, Any] = {"gas": GAS_LABEL, "networks": {}}
    with contextlib.ExitStack() as stack:
        executors: dict[str, ForkExecutor] = {}
        for net in networks:
            block = int(obs.pins[net]["block"])
            rpc_url = str(env.state.networks[net].rpc_url)
            node = stack.enter_context(fork_node(binary, rpc_url, block, network=net))
            client = EvmClient(node.url)
            stack.callback(client.close)
            executors[net] = ForkExecutor(client, block, role_names)
            report["networks"][net] = {"block": block, "steps": 0, "ok": 0, "revert": 0, "error": 0}
        for change in changes:
            for step in change.steps:
                net = group_of(step)
                if step.kind == EvmTx.KIND and net in executors:
                    step.fork = executors[net].run(step)
                    counts = report["networks"][net]
                    counts["steps"] += 1
                    counts[step.fork.status] = counts.get(step.fork.status, 0) + 1
                elif step.kind == EvmTx.KIND:
                    step.fork = ForkStep(status="not_simulated", note=f"not fork-simulated (network {net} not forked)")
                else:
                    step.fork = ForkStep(status="not_simulated", note=_label(step.kind))
        from tempoctl.plan.fork.after import remaining_changes

        report["after"] = remaining_changes(env, obs, {n: e.client for n, e in executors.items()}, select)
    report["seconds"] = round(time.monotonic() - started, 2)
    return report
