"""Apply a plan: refuse if stale, load keys, run the steps wave by wave in plan order, re-plan at the end.

A wave is a set of changes whose dependencies are all applied: their transactions go out back to back and
their receipts are awaited together; the next wave starts only when the previous one is mined, so
"grant before revoke" and "fund before grant" hold on chain, not just in the plan.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from tempoctl.apply.evm import EvmExecutor, SentStep
from tempoctl.apply.journal import Journal, journal_path
from tempoctl.apply.signers import SignerError, load_evm_account
from tempoctl.desired import DesiredEnvironment
from tempoctl.desired.models import EvmNetwork
from tempoctl.errors import ApplyError, PartialApplyError, StalePlanError, TempoctlError
from tempoctl.observed.engine import Observation
from tempoctl.plan.build import PlanOptions, build_plan
from tempoctl.plan.model import Change, Plan


@dataclass
class ApplyReport:
    sent: list[SentStep] = field(default_factory=list)
    leftover: Plan | None = None


def _fmt(v: Any) -> str:
    return json.dumps(v, sort_keys=True, default=str)


def check_stale(plan: Plan, env: DesiredEnvironment, fresh: Observation) -> None:
    """Refuse when the state files or any observed value the plan used differ now (DESIGN §7)."""
    problems = []
    if plan.environment != env.name:
        problems.append(f"the plan is for environment {plan.environment}, not {env.name}")
    if plan.state_digest and plan.state_digest != env.digest:
        problems.append(f"the state files of {env.name} changed since the plan was made")
    for net, pin in plan.observed.items():
        now = fresh.pins.get(net)
        if now is None or now.get("chain_id") != pin.get("chain_id"):
            problems.append(f"network {net}: chain {pin.get('chain_id')} in the plan, {now and now.get('chain_id')} now")
    for key, before in plan.inputs.items():
        now = fresh.observed.values.get(key)
        if _fmt(now) != _fmt(before):
            problems.append(f"{key}: was {_fmt(before)} when planned, is {_fmt(now)} now")
    if problems:
        raise StalePlanError(
            "Saved plan is stale: live state changed since it was computed",
            detail="\n".join(f"  - {p}" for p in problems),
            hint=f"Run `tempoctl plan {env.name} --out FILE` again and review the new plan.",
        )


def waves(changes: list[Change]) -> list[list[Change]]:
    """Group ordered changes into levels: a change joins the first wave after all its dependencies."""
    level: dict[str, int] = {}
    out: list[list[Change]] = []
    for c in changes:
        n = 1 + max((level[d] for d in c.depends_on if d in level), default=-1)
        level[c.address] = n
        while len(out) <= n:
            out.append([])
        out[n].append(c)
    return out


def apply_plan(env: DesiredEnvironment, plan: Plan, *, clients: dict[str, Any] | None = None,
               environ: Mapping[str, str] | None = None, echo: Callable[[str], None] = print,
               prompt: Callable[[str], str] | None = None, cwd: Any = None) -> ApplyReport:
    environ = os.environ if environ is None else environ
    _, fresh = build_plan(env, PlanOptions(targets=tuple(plan.targets), simulate=False), clients=clients)
    check_stale(plan, env, fresh)
    report = ApplyReport()
    if plan.empty:
        return report
    for c in plan.changes:
        for s in c.steps:
            if s.kind != "evm_transaction":
                raise ApplyError(f"{c.address}: step kind {s.kind} is not supported by this version")
            if s.signer is None:
                raise ApplyError(f"{c.address}: no declared signer can send {s.display}",
                                 hint="Declare a signer that holds the role it needs, or set `signer:` on the contract.")
    accounts: dict[str, Any] = {}
    for name in sorted({s.signer for c in plan.changes for s in c.steps if s.signer}):
        signer = env.state.signers.get(name)
        if signer is None:
            raise SignerError(f"the plan names signer {name}, which the state files no longer declare")
        accounts[name] = load_evm_account(name, signer, environ=environ, prompt=prompt)
    journal = Journal(journal_path(env.state.backend, env.name, cwd), plan.fingerprint())
    journal.record("begin", changes=len(plan.changes))
    executors: dict[str, EvmExecutor] = {}
    for net_name, client in fresh.clients.items():
        net = env.state.networks[net_name]
        assert isinstance(net, EvmNetwork)
        executors[net_name] = EvmExecutor(net_name, net.chain_id, client, accounts, journal,
                                          gas_margin_percent=net.gas_margin_percent,
                                          role_names=dict(fresh.observed.facts.get("role_names", {})))
    try:
        for wave in waves(plan.changes):
            depth = max(len(c.steps) for c in wave)
            for i in range(depth):
                by_net: dict[str, list[Any]] = {}
                for c in wave:
                    if i < len(c.steps):
                        by_net.setdefault(c.steps[i].fields["network"], []).append((c, c.steps[i]))
                for net_name, items in by_net.items():
                    ex = executors[net_name]
                    sent = ex.send_wave(items)
                    report.sent += sent
                    ex.await_wave(sent)
                    for done in sent:
                        gas = int(str((done.receipt or {}).get("gasUsed", "0x0")), 16)
                        echo(f"  {done.change.action.glyph} {done.change.address}: {done.step.display}  "
                             f"tx {done.tx_hash}  gas {gas:,}")
    except TempoctlError as exc:
        journal.record("stopped", error=exc.summary)
        summary = "\n".join(f"  done: {s.change.address} ({s.tx_hash})" for s in report.sent if s.receipt)
        err = PartialApplyError if report.sent else ApplyError
        raise err(f"apply stopped: {exc.summary}",
                  detail=(exc.detail + "\n" if exc.detail else "") + (summary or "  nothing was sent"),
                  hint="Fix the cause, then run `tempoctl plan` again: it shows only what remains.") from None
    journal.record("end", sent=len(report.sent))
    after, _ = build_plan(env, PlanOptions(targets=tuple(plan.targets), simulate=False), clients=fresh.clients)
    report.leftover = after
    return report
