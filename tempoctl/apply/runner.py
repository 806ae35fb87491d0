"""Apply a plan: rebuild it and refuse unless the rebuild is identical, load keys, run the rebuilt steps wave
by wave in plan order, re-plan at the end.

The plan handed in (a saved file, or the plan a person just confirmed) is an approval, never a source of
bytes or commands: only the steps of the plan rebuilt here from the state files and live state are signed
and run, and only when `tempoctl.plan.compare` finds nothing in the approval that differs from them.

A wave is a set of changes whose dependencies are all applied: their transactions go out together (EVM: in
JSON-RPC batches, one block's worth at a time, see `tempoctl.apply.evm`) and their receipts are awaited together (Soroban: one transaction per source account per ledger, in parallel
across channel accounts, see `tempoctl.apply.stellar_lanes`); the next wave starts only when the previous one
is mined, so "grant before revoke" and "fund before grant" hold on chain, not just in the plan.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tempoctl.apply.context import ApplyContext, Executor, SentStep, group_of
from tempoctl.apply.executors import AFTER_APPLY, EXECUTORS
from tempoctl.apply.handoff import HandoffTracker
from tempoctl.apply.journal import Journal
from tempoctl.apply.progress import StepEvents
from tempoctl.desired import DesiredEnvironment
from tempoctl.errors import ApplyError, PartialApplyError, PlanMismatchError, StalePlanError, TempoctlError
from tempoctl.observed.observation import Observation
from tempoctl.plan.build import PlanOptions, build_plan
from tempoctl.plan.model import Change, Plan, Step


@dataclass
class ApplyReport:
    sent: list[SentStep] = field(default_factory=list)
    leftover: Plan | None = None
    awaiting: list[str] = field(default_factory=list)  # changes the re-plan finds waiting for a multisig


def _fmt(v: Any) -> str:
    return json.dumps(v, sort_keys=True, default=str)


def _same_evidence(before: Any, now: Any) -> bool:
    """Whether an observed value the plan used is still what it is now.

    A sensitive value the plan could not compare (`(sensitive)`: its role had no access to the comparison key,
    e.g. the read-only plan job on main before any drift run created the key) decided nothing in that plan:
    no change was planned from it. Apply, which creates the key, now sees `unchanged` or `changed`; the first
    is the same evidence, and the second plans a write the saved plan lacks, which the rebuild comparison
    refuses. So it is not staleness by itself."""
    from tempoctl.observed.host.secretcmp import SENSITIVE

    if before == SENSITIVE and isinstance(now, str) and now.startswith(SENSITIVE):
        return True
    if isinstance(before, dict) and isinstance(now, dict):
        return before.keys() == now.keys() and all(_same_evidence(before[k], now[k]) for k in before)
    if isinstance(before, list) and isinstance(now, list):
        return len(before) == len(now) and all(_same_evidence(a, b) for a, b in zip(before, now, strict=True))
    return _fmt(before) == _fmt(now)


def stale_reasons(plan: Plan, env: DesiredEnvironment, fresh: Observation) -> list[str]:
    """Why a plan no longer fits: the state files or any observed value it used differ now (DESIGN §7)."""
    problems = []
    if plan.environment != env.name:
        problems.append(f"the plan is for environment {plan.environment}, not {env.name}")
    if plan.state_digest and plan.state_digest != env.digest:
        problems.append(f"the state files of {env.name} changed since the plan was made")
    for net, pin in plan.observed.items():
        now = fresh.pins.get(net)
        if now is None:
            problems.append(f"network {net}: in the plan, not read now")
            continue
        for ident in ("chain_id", "passphrase"):
            if now.get(ident) != pin.get(ident):
                problems.append(f"network {net}: {ident} {pin.get(ident)} in the plan, {now and now.get(ident)} now")
    for key, before in plan.inputs.items():
        now = fresh.observed.values.get(key)
        if not _same_evidence(before, now):
            problems += _stale_lines(key, before, now)
    return problems


def _stale_lines(key: str, before: Any, now: Any) -> list[str]:
    """`key: was X when planned, is Y now`; for a struct (risk params, fee config, a descriptor, a custom
    struct getter) one line per leaf that moved, so the operator sees which field changed. A list (a role's
    members) is shown whole: "[1] was absent" says less than the two member lists."""
    from tempoctl.plan.compare import ABSENT, leaf_differences

    def shown(v: Any) -> str:
        return "(absent)" if v is ABSENT else _fmt(v)

    if isinstance(before, dict) and isinstance(now, dict):  # a member list stays whole: indexes mean nothing
        leaves = [(p, a, b) for p, a, b in leaf_differences(before, now)
                  if a is ABSENT or b is ABSENT or not _same_evidence(a, b)]
        if leaves:
            return [f"{key}{'' if p.startswith('[') else '.'}{p}: was {shown(a)} when planned, is {shown(b)} now"
                    for p, a, b in leaves]
    return [f"{key}: was {_fmt(before)} when planned, is {_fmt(now)} now"]


def check_stale(plan: Plan, env: DesiredEnvironment, fresh: Observation) -> None:
    """Refuse when the state files or any observed value the plan used differ now (DESIGN §7)."""
    check_approval(plan, None, env, fresh)


def check_approval(plan: Plan, rebuilt: Plan | None, env: DesiredEnvironment, fresh: Observation) -> None:
    """Refuse, before anything is sent, unless `rebuilt` is identical to the approved `plan`.

    A stale plan (state files or observed values changed) says so first — that is *why* the rebuild differs
    — then lists each change and field that differs; a plan that is not stale but still differs was edited
    (its fingerprint is a plain hash anyone can recompute) or is not reproducible, and is refused the same way.
    """
    from tempoctl.plan.compare import plan_differences

    why = stale_reasons(plan, env, fresh)
    differs = plan_differences(plan, rebuilt) if rebuilt is not None else []
    if not why and not differs:
        return
    detail = "\n".join(f"  - {p}" for p in why)
    if differs:
        detail += ("\n\n" if detail else "") + "The saved plan does not match the plan rebuilt now from the state files " \
                  "and live state:\n" + "\n".join(f"  - {d}" for d in differs)
    hint = f"Nothing was sent. Run `tempoctl plan {env.name} --out FILE` again and review the new plan."
    if why:
        raise StalePlanError("Saved plan is stale: live state changed since it was computed", detail=detail, hint=hint)
    raise PlanMismatchError("Saved plan does not match what apply would do now: refused", detail=detail,
                            hint=hint + " A saved plan is an approval: apply runs only what it rebuilds itself, and "
                                        "only when it is identical to what was approved.")


def rebuild_approved(env: DesiredEnvironment, approved: Plan, clients: dict[str, Any] | None = None, *,
                     parallelism: int = 10) -> Plan:
    """The plan `plan` would compute now (simulations included, for display), refused unless identical to
    `approved`. What apply shows for a saved plan is this rebuild, never the file's own text."""
    rebuilt, fresh = build_plan(env, PlanOptions(targets=tuple(approved.targets), parallelism=parallelism),
                                clients=clients)
    check_approval(approved, rebuilt, env, fresh)
    return rebuilt


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
               prompt: Callable[[str], str] | None = None, cwd: Any = None,
               journal: Journal | None = None, parallelism: int = 10) -> ApplyReport:
    """Apply `plan`, journalling into `journal`. Without one, this takes the environment's lock and settles
    earlier unfinished applies first (`ApplySession`), as the CLI does around planning."""
    if journal is None:
        from tempoctl.apply.session import ApplySession

        with ApplySession(env, command=f"apply {env.name}", cwd=Path(cwd) if cwd else None, echo=echo) as session:
            clients = session.settle(clients)
            return apply_plan(env, plan, clients=clients, environ=environ, echo=echo, prompt=prompt, cwd=cwd,
                              journal=session.journal(plan.fingerprint()), parallelism=parallelism)
    environ = os.environ if environ is None else environ
    # The same code path as `plan`; only simulation is left out (it annotates, it never shapes a step).
    rebuilt, fresh = build_plan(env, PlanOptions(targets=tuple(plan.targets), simulate=False, create_secret_key=True,
                                                 parallelism=parallelism), clients=clients)
    check_approval(plan, rebuilt, env, fresh)
    plan = rebuilt  # from here on, only what was rebuilt here is signed and run
    report = ApplyReport()
    actx = ApplyContext(env=env, fresh=fresh, journal=journal, environ=environ, echo=echo, prompt=prompt,
                        cwd=Path(cwd) if cwd is not None else None)
    handoffs = HandoffTracker(env, plan, echo, Path(cwd) if cwd is not None else None)
    if plan.empty:
        for hook in AFTER_APPLY:
            hook(actx)
        return report
    for c in plan.changes:
        for s in c.steps:
            if s.kind not in EXECUTORS:
                raise ApplyError(f"{c.address}: step kind {s.kind} is not supported by this version")
    executors: dict[tuple[str, str], Executor] = {}
    grouped: dict[tuple[str, str], list[tuple[Change, Step]]] = {}
    for c in handoffs.runnable(plan.changes):
        for s in c.steps:
            grouped.setdefault((s.kind, group_of(s)), []).append((c, s))
    for key, items in grouped.items():
        executors[key] = EXECUTORS[key[0]](actx, key[1])
        executors[key].prepare(items)
    journal.record("begin", changes=len(plan.changes))
    if isinstance(echo, StepEvents):
        echo.begin(sum(len(c.steps) for c in plan.changes))
    try:
        for wave in waves(plan.changes):
            _run_wave(handoffs.admit(wave), executors, report, echo, handoffs.held, parallelism)
    except TempoctlError as exc:
        done = [_outcome(s) for s in report.sent if s.finished]
        # A transaction journalled as intent may have reached the node even if its send "failed" (the answer
        # was lost): the chain may have changed, so that is a partial apply too, settled by the next one.
        try:
            journal.record("stopped", error=exc.summary)
            doubt = _in_doubt(journal, {s.tx_hash for s in report.sent if s.receipt})
        except TempoctlError:  # the backend itself failed (e.g. its connection dropped): assume the worst
            doubt = [("(unknown: the journal could not be read)", "see the next apply's settling")]
        lines = done + [f"  maybe sent (the next apply settles it): {a} ({h})" for a, h in doubt]
        # Exit 3 when something changed (or may have); a transaction that only failed on chain changed
        # nothing but its sender's nonce, so with nothing else done it is a plain failure (exit 1).
        err = PartialApplyError if any(not s.failed for s in report.sent) or doubt else ApplyError
        raise err(f"apply stopped: {exc.summary}",
                  detail=(exc.detail + "\n" if exc.detail else "") + ("\n".join(lines) or "  nothing was sent"),
                  hint=(exc.hint + " " if exc.hint else "")
                  + "Fix the cause, then run `tempoctl plan` again: it shows only what remains.") from None
    journal.record("end", sent=len(report.sent))
    for hook in AFTER_APPLY:
        hook(actx)
    after, _ = build_plan(env, PlanOptions(targets=tuple(plan.targets), simulate=False, create_secret_key=True,
                                           parallelism=parallelism), clients=fresh.clients)
    report.leftover = handoffs.finish(after)
    report.awaiting = handoffs.waiting
    return report


def _outcome(s: SentStep) -> str:
    if s.failed:
        return f"  FAILED on chain (nothing changed): {s.change.address} ({s.tx_hash})"
    if s.pending:
        return f"  handed off: {s.change.address} ({s.summary})"
    return f"  done: {s.change.address} ({s.tx_hash or s.summary})"


def _in_doubt(journal: Journal, settled: set[str | None]) -> list[tuple[str, str]]:
    """(address, tx hash) of this apply's transactions journalled as intent, neither receipted nor
    abandoned: they may be on chain."""
    entries = journal.entries()
    closed = settled | {e.get("tx_hash") for e in entries if e["event"] in ("receipt", "abandoned")}
    return [(str(e.get("address")), str(e["tx_hash"])) for e in entries
            if e["event"] == "intent" and e.get("tx_hash") and e["tx_hash"] not in closed]


def _run_wave(wave: list[Change], executors: dict[tuple[str, str], Executor], report: ApplyReport,
              echo: Callable[[str], None], held: dict[str, str | None], parallelism: int = 1) -> None:
    """Step i of every change of the wave runs before step i+1 of any; each group's steps go back to back.

    Groups whose executor may run beside others (`concurrent`: hosts) run at the same time, at most
    `parallelism` at once, at the place of the first of them; their output and journal stay in plan order
    (`tempoctl.apply.concurrent`). A change whose step was handed off (pending: a multisig, an offline signer)
    runs no further steps except ones for the same signer (they join the same hand-off, in order): the rest
    waits for that hand-off and shows in the next plan. `held` maps such changes to the signer that took them."""
    if not wave:
        return
    events = echo if isinstance(echo, StepEvents) else None

    def show(sent: list[SentStep], seconds: float) -> None:
        for done in sent:
            if done.pending:
                held[done.change.address] = done.step.signer
            if events is not None:
                events.finished(done, seconds)
                continue
            tag = "pending" if done.pending else done.change.action.glyph
            echo(f"  {tag} {done.change.address}: {done.step.display}  {done.summary}".rstrip())

    depth = max(len(c.steps) for c in wave)
    for i in range(depth):
        by_group: dict[tuple[str, str], list[tuple[Change, Step]]] = {}
        for c in wave:
            if i < len(c.steps) and (c.address not in held or held[c.address] == c.steps[i].signer):
                s = c.steps[i]
                by_group.setdefault((s.kind, group_of(s)), []).append((c, s))
        together = [k for k in by_group if getattr(executors[k], "concurrent", False)]
        if parallelism < 2 or len(together) < 2:
            together = []
        for key, items in by_group.items():
            if key in together[1:]:
                continue  # ran with the first of them
            if together and key == together[0]:
                _run_together([(executors[k], by_group[k]) for k in together], report, events, show, parallelism)
                continue
            ex = executors[key]
            if events is not None:
                events.started(items)
            t0 = time.monotonic()
            try:
                sent = ex.send_wave(items)
            except TempoctlError as exc:
                # An executor that waits for inclusion itself (Soroban lanes) stops with some steps already
                # final: they are done (or failed on chain), not "maybe sent".
                report.sent += list(getattr(exc, "sent_steps", []))
                raise
            report.sent += sent
            ex.await_wave(sent)
            show(sent, time.monotonic() - t0)  # a group's steps go out together and are final together


def _run_together(groups: list[tuple[Executor, list[tuple[Change, Step]]]], report: ApplyReport,
                  events: StepEvents | None, show: Callable[[list[SentStep], float], None], parallelism: int) -> None:
    from tempoctl.apply.concurrent import GroupRun, run_groups

    if events is not None:
        events.started([item for _, items in groups for item in items])
    runs = [GroupRun(ex, items) for ex, items in groups]  # type: ignore[arg-type]  # concurrent executors

    def shown(run: GroupRun) -> None:
        if run.error is None:  # a failed group shows nothing, as when run alone; the stop report lists it
            show(run.sent, run.seconds)

    try:
        report.sent += run_groups(runs, parallelism, shown)
    except TempoctlError as exc:
        report.sent += list(getattr(exc, "sent_steps", []))
        raise
