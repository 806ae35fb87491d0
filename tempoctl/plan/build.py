"""Build a plan: observe → diff → order → safety → simulate, returning plain data (`Plan`).

This is the one function `plan`, `apply` and `drift` share, so what a reviewer saw in a PR is exactly what
apply recomputes and compares (DESIGN §7).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from tempoctl import __version__
from tempoctl.core.addrs import matches_target, target_prefixes
from tempoctl.desired import DesiredEnvironment
from tempoctl.diff import compute
from tempoctl.errors import ConfigError
from tempoctl.observed.observation import Observation
from tempoctl.observed.sources import observe
from tempoctl.plan.fork.run import networks_to_fork, run_fork
from tempoctl.plan.model import Change, Plan
from tempoctl.plan.order import add_ordering_edges, order
from tempoctl.plan.pending import load_store
from tempoctl.plan.safety import check_lockout
from tempoctl.plan.simulate import simulate
from tempoctl.plan.simulate_soroban import SOROBAN_KINDS, simulate_soroban


@dataclass
class PlanOptions:
    targets: tuple[str, ...] = ()
    batching: bool = True
    simulate: bool = True
    allow_lockout: bool = False
    create_secret_key: bool = False  # drift and apply: make the backend's secret comparison key if missing
    parallelism: int = 10  # hosts read at the same time (--parallelism)
    fork: bool | None = False  # run every EVM step on anvil forks: True all, None per `fork:` of each network


def check_targets(targets: tuple[str, ...], known: set[str]) -> None:
    """Refuse a `--target` that matches no resource address this environment has (declared, observed or
    planned), suggesting the nearest ones: a typo must not read as "No changes" and exit 0."""
    unknown = [t for t in targets if not any(matches_target(a, t) for a in known)]
    if not unknown:
        return
    import difflib

    candidates = sorted({p for a in known for p in target_prefixes(a)})
    lines = []
    for t in unknown:
        near = difflib.get_close_matches(t, candidates, n=3, cutoff=0.6)
        lines.append(f"  {t}: " + (f"did you mean {', '.join(near)}?" if near else "no address is close to it"))
    raise ConfigError(f"--target matches no resource address of this environment: {', '.join(unknown)}",
                      detail="\n".join(lines),
                      hint="Targets are resource addresses as `plan` prints them (a contract name such as "
                           "`governance`, a prefix such as `governance.role.ORACLE`, or an exact address).")


def select_targets(changes: list[Change], targets: tuple[str, ...]) -> list[Change]:
    """Keep targeted changes and, like Terraform, what they depend on."""
    if not targets:
        return changes
    by_addr = {c.address: c for c in changes}
    keep = {c.address for c in changes if any(matches_target(c.address, t) for t in targets)}
    todo = list(keep)
    while todo:
        for d in by_addr[todo.pop()].depends_on:
            if d in by_addr and d not in keep:
                keep.add(d)
                todo.append(d)
    return [c for c in changes if c.address in keep]


def build_plan(env: DesiredEnvironment, options: PlanOptions | None = None,
               clients: dict[str, Any] | None = None) -> tuple[Plan, Observation]:
    opts = options or PlanOptions()
    obs = observe(env, batching=opts.batching, clients=clients, create_secret_key=opts.create_secret_key,
                  parallelism=opts.parallelism)
    diff = compute(env, obs.observed)
    unread = tuple(obs.observed.unread)
    if unread:  # not read under the trusted base: no change planned and no drift counted for unread state
        diff.changes = [c for c in diff.changes if not any(matches_target(c.address, u) for u in unread)]
        diff.drift = [d for d in diff.drift if not any(matches_target(d.address, u) for u in unread)]
    signer_addresses = {n: s.address for n, s in env.state.signers.items()}
    add_ordering_edges(diff.changes, signer_addresses, observed=obs.observed)
    changes = order(diff.changes)
    in_flight = load_store(env)
    in_flight.mark(changes)  # what a Safe batch already proposes shows as awaiting multisig execution
    if not opts.allow_lockout:
        check_lockout(changes, obs.observed)
    if opts.targets:
        check_targets(opts.targets, set(obs.observed.values) | {c.address for c in changes}
                      | {d.address for d in diff.drift})
    changes = select_targets(changes, opts.targets)
    if opts.simulate:
        pins = {n: int(p["block"]) for n, p in obs.pins.items() if "block" in p}
        simulate(changes, obs.clients, pins, dict(obs.observed.role_names))
        if any(s.kind in SOROBAN_KINDS for c in changes for s in c.steps):
            simulate_soroban(changes, obs.clients)
    fork_report, fork_notes = None, []
    fork_nets = networks_to_fork(env, opts.fork, obs.pins) if opts.fork is not False else []
    if fork_nets and any(s.kind == "evm_transaction" for c in changes for s in c.steps):
        fork_report = run_fork(env, changes, obs, fork_nets, lambda left: _targeted(left, opts.targets))
    elif opts.fork:
        fork_notes.append("--fork: nothing to run on a fork (no EVM step in this plan)" if fork_nets
                          else "--fork: this environment reads no EVM network, so nothing was forked")
    plan = Plan(
        environment=env.name,
        created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        tool_version=__version__,
        observed=obs.pins,
        changes=changes,
        drift=[d for d in diff.drift if not opts.targets or any(matches_target(d.address, t) for t in opts.targets)],
        inputs={k: v for k, v in obs.observed.values.items() if k not in obs.observed.drift_only},
        state_digest=env.digest,
        targets=list(opts.targets),
        notes=in_flight.in_flight_notes() + obs.skipped + list(obs.observed.notes) + _backend_note(env) + fork_notes,
        fork=fork_report,
    )
    return plan, obs


def _targeted(changes: list[Change], targets: tuple[str, ...]) -> list[Change]:
    """What a targeted plan shows of `changes`: the targets themselves (their dependencies are not targets)."""
    if not targets:
        return changes
    return [c for c in select_targets(changes, targets) if any(matches_target(c.address, t) for t in targets)]


def _backend_note(env: DesiredEnvironment) -> list[str]:
    """Under a trusted base, a PR that names another backend gets none opened: say so in the plan."""
    problem = env.reach.backend()
    return [f"backend: not opened: {problem}"] if problem else []
