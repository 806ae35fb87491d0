"""Host executors: `host_command` steps (env files, systemctl) and `descriptor_write` steps.

Secrets named by a step (`{"from_env": "VAR"}`; the name only, never the value) are read from the environment only here, checked before
anything of the apply runs (`prepare`), written through stdin (never a command line) and masked in every
log line and error. After a start or restart the executor waits until the unit is active; a unit that
fails instead stops the apply with the last lines of its journal.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path
from typing import Any, NoReturn

from tempoctl.apply.context import ApplyContext, SentStep
from tempoctl.atomic import write_atomic
from tempoctl.core.steps import DescriptorWrite, HostCommand
from tempoctl.desired.envgrammar import key_error, value_error
from tempoctl.errors import ApplyError
from tempoctl.observed.host.facts import SHOW_PROPERTIES, UnitFacts, count_instances, parse_unit, update_env
from tempoctl.observed.host.roots import confine, local_confined
from tempoctl.observed.host.source import key_address, transport_for
from tempoctl.observed.host.transport import HostError
from tempoctl.observed.host.units import unit_name
from tempoctl.plan.model import Change, Step

ACTIVE_TIMEOUT = 60.0
JOURNAL_LINES = 20
DEFAULT_SETTLE = 3.0
SETTLE_ENV = "TEMPOCTL_SERVICE_SETTLE"  # overrides DEFAULT_SETTLE for units without `settle:` (tests, CI)
# op -> systemctl arguments before `--` and the unit (every operand after `--`: a unit is never an option).
_SYSTEMCTL = {"start": ["start"], "stop": ["stop"], "restart": ["restart"], "enable": ["enable"],
              "disable": ["disable"], "disable-runtime": ["disable", "--runtime"]}


class HostExecutor:
    """Runs one host's steps over the run's one connection to it."""

    def __init__(self, actx: ApplyContext, host: str) -> None:
        if host not in actx.env.state.hosts:
            raise ApplyError(f"host {host} is not declared in {actx.env.name}")
        self.actx = actx
        self.host = host
        self.t = transport_for(actx.fresh.clients, host, actx.env.state.hosts[host].connection)

    # --- secrets --------------------------------------------------------------------------------------

    def _secret(self, change: Change, ref: dict[str, Any]) -> str:
        var = str(ref.get("from_env") or "")
        value = self.actx.environ.get(var) if var else None
        if not value:
            raise ApplyError(f"{change.address}: {var or 'a secret'} is not set",
                             hint=f"Export {var} (it is read only during apply and never printed), then apply again.")
        problem = value_error(value.strip(), show=False)
        if problem:
            raise ApplyError(f"{change.address}: {var} cannot be written to an env file: {problem}",
                             hint="Shells, systemd and dotenv readers would each read such a value differently.")
        expected = ref.get("expect_address")
        if expected is not None:
            got = key_address(value)
            if got != f"address:{expected}":
                owner = got[len('address:'):] if got else "no valid EVM key"
                raise ApplyError(f"{change.address}: {var} holds the key of {owner}, not of the oracle {expected}",
                                 hint="Set it to the new oracle's key (oracle.address must be that key's address).")
        return value.strip()

    def _values(self, change: Change, step: Step) -> tuple[dict[str, str], list[str]]:
        values: dict[str, str] = {}
        secrets: list[str] = []
        for key, v in (HostCommand.of(step).set or {}).items():
            problem = key_error(str(key))
            if isinstance(v, dict):
                values[key] = self._secret(change, v)
                secrets.append(values[key])
            else:
                values[key] = str(v)
                problem = problem or value_error(values[key])
            if problem:  # validate refuses these; a plan file edited by hand must not get further
                raise ApplyError(f"{change.address}: refusing to write {key!r}: {problem}")
        return values, secrets

    def prepare(self, items: list[tuple[Change, Step]]) -> None:
        for change, step in items:
            cmd = HostCommand.of(step)
            if cmd.op == "write_env":
                self._values(change, step)
            elif cmd.starts and cmd.settle is None:
                self._default_settle()  # a bad TEMPOCTL_SERVICE_SETTLE stops apply before anything runs

    # --- steps ----------------------------------------------------------------------------------------

    concurrent = True  # the runner may run this host's group beside other hosts' (apply/concurrent.py)

    def send_wave(self, items: list[tuple[Change, Step]]) -> list[SentStep]:
        sent = []
        for change, step in items:
            self.intend([(change, step)])
            sent.append(self._step(change, step))
            self.record_done([(change, step)])
        return sent

    def intend(self, items: list[tuple[Change, Step]]) -> None:
        """Journal that these steps are about to run (durable before any of them runs)."""
        for change, step in items:
            self.actx.journal.record("intent", address=change.address, display=step.display, host=self.host,
                                     op=HostCommand.of(step).op)

    def record_done(self, items: list[tuple[Change, Step]]) -> None:
        for change, step in items:
            self.actx.journal.record("done", address=change.address, host=self.host, op=HostCommand.of(step).op)

    def perform(self, items: list[tuple[Change, Step]], sent: list[SentStep]) -> None:
        """Run the steps and wait for them without touching the journal: the concurrent path (another
        thread) journals in plan order around it. Each step that ran is appended to `sent` as it returns,
        so a stop in the middle still reports what was done."""
        for change, step in items:
            sent.append(self._step(change, step))
        self.await_wave(sent)

    def _step(self, change: Change, step: Step) -> SentStep:
        op = HostCommand.of(step).op
        summary = self._run(change, step, op)
        # A start or restart is finished once the unit is active (await_wave), not when systemctl returns.
        return SentStep(change, step, summary=summary, finished=op not in ("start", "restart"))

    def _run(self, change: Change, step: Step, op: str) -> str:
        cmd = HostCommand.of(step)
        if op == "write_env":
            path = self._confined(change, str(cmd.path))
            values, _ = self._values(change, step)
            old = self.t.read_file(path)
            text = update_env(old.decode("utf-8", "replace") if old is not None else "", values)
            self.t.write_file_atomic(path, text.encode(), mode=cmd.mode, owner=cmd.owner)
            return f"wrote {len(values)} key(s)"
        unit = unit_name(str(cmd.unit))
        if op not in _SYSTEMCTL:
            raise ApplyError(f"{change.address}: unknown host operation {op}")
        if op == "start" and cmd.single_instance:
            self._refuse_second(change, unit)
        result = self.t.run(["systemctl", *_SYSTEMCTL[op], "--", unit], check=op not in ("start", "restart"))
        if result.returncode != 0:  # a masked unit, a oneshot that failed: say why, with the journal
            err = result.stderr.decode("utf-8", "replace").strip().splitlines()
            self._fail(change, unit, f"did not {op} (systemctl exit {result.returncode}"
                                     + (f": {err[-1]})" if err else ")"))
        return "done"

    def _show(self, unit: str) -> UnitFacts:
        return parse_unit(self.t.run(["systemctl", "show", "-p", SHOW_PROPERTIES, "--", unit]).text, unit)

    def _confined(self, change: Change, path: str) -> str:
        """The real path to write (a symlink's target, owner and mode kept), re-checked against the host's
        roots now: a plan approved earlier does not decide where a write lands."""
        host = self.actx.env.state.hosts[self.host]
        confined = confine(self.t, host.connection, host.roots, [path])
        if path in confined.refused:
            raise ApplyError(f"{change.address}: refusing to write {path}: it {confined.refused[path]}")
        return confined.real[path]

    def _refuse_second(self, change: Change, unit: str) -> None:
        argv = self._show(unit).argv
        running = count_instances(self.t.run(["ps", "-eo", "args="]).text.splitlines(), argv)
        if running:
            raise ApplyError(f"{change.address}: refusing to start {unit}: {running} process(es) already run its command",
                             detail=f"command: {argv}",
                             hint="single_instance is declared: stop the stray process first, then apply again.")

    def await_wave(self, sent: list[SentStep]) -> None:
        for s in sent:
            cmd = HostCommand.of(s.step)
            if cmd.starts:
                s.summary = self._wait_up(s.change, unit_name(str(cmd.unit)),
                                          float(cmd.settle) if cmd.settle is not None else self._default_settle())
                s.finished = True

    def _default_settle(self) -> float:
        raw = self.actx.environ.get(SETTLE_ENV)
        if not raw:
            return DEFAULT_SETTLE
        try:
            value = float(raw)
        except ValueError:
            value = -1.0
        if not 0 <= value <= 3600:
            raise ApplyError(f"{SETTLE_ENV}={raw!r} is not a number of seconds between 0 and 3600")
        return value

    def _wait_up(self, change: Change, unit: str, settle: float) -> str:
        """Wait until `unit` is up: active with the same MainPID and NRestarts for `settle` seconds (one
        "active" sample would accept a unit that systemd keeps restarting), or, for a Type=oneshot unit
        without RemainAfterExit, finished with Result=success (`systemctl start` returns once it ran).
        Anything else raises with the unit's journal."""
        deadline = time.monotonic() + ACTIVE_TIMEOUT
        seen: tuple[int, int] | None = None
        since = 0.0
        while True:
            facts = self._show(unit)
            state = facts.state
            now = time.monotonic()
            if state == "done":
                return "ran, exited 0 (oneshot)"
            if state == "running":
                if facts.type == "oneshot":  # RemainAfterExit=yes: active/exited, nothing left to watch
                    return "active (oneshot, exited 0)"
                sample = (facts.main_pid, facts.n_restarts)
                if seen is None:
                    seen, since = sample, now
                elif sample != seen:
                    self._fail(change, unit, f"restarted while settling (MainPID {seen[0]} -> {sample[0]}, "
                                             f"NRestarts {seen[1]} -> {sample[1]})")
                if now - since >= settle:
                    pid = f", pid {facts.main_pid}" if facts.main_pid else ""
                    return f"active{pid}, stable for {settle:g}s"
            elif seen is not None or state in ("failed", "restarting", "stopped", "masked", "broken", "missing"):
                self._fail(change, unit, "failed" if state == "failed" else
                           f"is {state} ({facts.active}/{facts.sub}, Result={facts.result or 'unknown'})")
            if now > deadline:
                self._fail(change, unit, f"is still {state} after {ACTIVE_TIMEOUT:g}s")
            time.sleep(min(0.2, max(settle / 5, 0.05)))

    def _fail(self, change: Change, unit: str, what: str) -> NoReturn:
        log = self.t.run(["journalctl", f"--unit={unit}", "-n", str(JOURNAL_LINES), "--no-pager", "-o", "cat"],
                         check=False).text.rstrip()
        raise ApplyError(f"{change.address}: {unit} {what} on {self.host} after {change.steps[-1].display}",
                         detail=f"last journal lines:\n{log}" if log else "",
                         hint=f"See `journalctl -u {unit}` on {self.host}.")


class DescriptorExecutor:
    """Writes deployment descriptors next to where tempoctl runs (the repository's `deployments/`)."""

    def __init__(self, actx: ApplyContext) -> None:
        self.actx = actx
        self.base = actx.cwd or Path.cwd()

    def prepare(self, items: list[tuple[Change, Step]]) -> None:
        return None

    def send_wave(self, items: list[tuple[Change, Step]]) -> list[SentStep]:
        sent = []
        for change, step in items:
            w = DescriptorWrite.of(step)
            try:
                path = Path(local_confined(w.path, str(self.base)))
                previous = Path(local_confined(w.previous, str(self.base)))
            except HostError as exc:
                raise ApplyError(f"{change.address}: {exc.summary}", hint=exc.hint) from None
            doc = dict(w.document)
            self.actx.journal.record("intent", address=change.address, display=step.display)
            if path.exists():
                old = path.read_bytes()
                try:
                    old_id = json.loads(old).get("contract_id")
                except (ValueError, AttributeError):
                    old_id = None
                if old_id != doc.get("contract_id"):
                    write_atomic(previous, old, mode=0o644)
            doc["deployed_at"] = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            ordered = {k: doc[k] for k in ("network", "contract", "contract_id", "admin", "deployed_at", "wasm_hash",
                                           "admin_transferred") if k in doc}
            write_atomic(path, json.dumps(ordered, indent=2) + "\n", mode=0o644)
            self.actx.journal.record("done", address=change.address)
            sent.append(SentStep(change, step, summary=f"wrote {w.path}"))
        return sent

    def await_wave(self, sent: list[SentStep]) -> None:
        return None
