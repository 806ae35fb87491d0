"""Run a wave's Soroban steps the way a real Stellar network accepts them: one transaction in flight per
source account, each waiting for inclusion in a closed ledger before the account sends the next.

Why: stellar-core keeps at most one transaction per source account in its queue; a second `sendTransaction`
before the first is in a closed ledger answers TRY_AGAIN_LATER (stellar-core `TransactionQueue::canAdd`,
src/herder/TransactionQueue.cpp: "If there's already a transaction in the queue, we reject any new
transaction"), and a sent transaction is NOT_FOUND in `getTransaction` until the ledger that includes it has
been ingested (stellar-rpc `methods/get_transaction.go`). So a signer's steps are *lanes*: its own account,
or its **channel accounts** (`channels:` in the state files), each a source account with its own sequence
number, so N channels put N invocations in each ledger. A channel pays the fee and signs the envelope; the
signer authorises the invocation with a Soroban authorization entry (address credentials) signed over the
network's `HashIDPreimage::SorobanAuthorization` (stellar-sdk `authorize_entry`), never as the source.

What each answer means (and what the journal says):

* PENDING / DUPLICATE: queued. The lane waits for the next ledgers and polls `getTransaction` once per new
  ledger (one `getLatestLedger` per poll in between, paced by the measured ledger cadence).
* TRY_AGAIN_LATER: *nothing was queued* (another transaction from that account is pending, or the queue is
  full). The same envelope is sent again after the next ledger closes; if it is still refused after
  `INCLUSION_LEDGERS` ledgers the step stops with "refused", journalled `abandoned` — never "maybe sent".
* ERROR txBAD_SEQ: first `getTransaction` by hash (an earlier answer may have been lost and the envelope
  applied); if not ours, another transaction used that sequence number: the step is journalled `abandoned`,
  the account's sequence number reloaded, and the step rebuilt (at most `REBUILDS` times).
* Any other ERROR: refused, nothing queued; journalled `abandoned`, the apply stops.
* No answer even after the client's retries: it may be queued. It is watched by hash like a queued one; if
  it never shows up the apply stops and it stays `intent` in the journal ("maybe sent") for the next apply.

Waits are derived from the ledger cadence, measured from `getLatestLedger` as the lanes run (before a
measurement: testnet's target close time, 5 s — stellar-core `soroban-settings/testnet_settings_upgrade.json`,
`ledger_target_close_time_milliseconds` 5000): a queued transaction not included within
`INCLUSION_LEDGERS` ledgers, or no new ledger for `STALL_LEDGERS` cadences (at least `MIN_WAIT_SECONDS`),
stops the apply with the transaction still in the journal for the next apply to settle by hash.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from tempoctl.errors import ApplyError, TempoctlError
from tempoctl.plan.model import Change, Step

TARGET_CLOSE_SECONDS = 5.0  # testnet/mainnet target until measured (scp_timing, see the module docstring)
INCLUSION_LEDGERS = 10  # a queued transaction goes into the next ledger unless surge pricing holds it back
STALL_LEDGERS = 12  # no new ledger for this many cadences: the RPC (or the network) is stuck
MIN_WAIT_SECONDS = 20.0  # floor for both waits, so a fast test ledger or a busy machine does not make them tiny
AUTH_VALID_LEDGERS = 120  # the signer's authorization entries expire this many ledgers after the latest (~10 min)
REBUILDS = 2  # a step whose sequence number another transaction took is rebuilt at most this often
MAX_PARALLEL = 16  # requests in flight while lanes prepare and send


class LedgerClock:
    """The RPC's latest ledger, and the cadence measured from watching it advance."""

    def __init__(self, latest: Callable[[], int]) -> None:
        self._latest = latest
        self.seq = 0
        self.cadence: float | None = None
        self._changed: tuple[int, float] | None = None

    def observe(self) -> int:
        seq, now = int(self._latest()), time.monotonic()
        if self.seq and seq > self.seq:
            if self._changed is not None:
                est = (now - self._changed[1]) / max(1, seq - self._changed[0])
                self.cadence = est if self.cadence is None else 0.6 * self.cadence + 0.4 * est
            self._changed = (seq, now)
        self.seq = max(self.seq, seq)
        return self.seq

    @property
    def seconds_per_ledger(self) -> float:
        return self.cadence if self.cadence is not None else TARGET_CLOSE_SECONDS

    def stall_seconds(self) -> float:
        return max(MIN_WAIT_SECONDS, STALL_LEDGERS * self.seconds_per_ledger)

    def wait_after(self, seq: int) -> int:
        """Block until a ledger after `seq` has closed (as the RPC reports it); return the latest."""
        start = time.monotonic()
        # before the cadence is known, poll often and back off; after, a few polls per ledger
        interval = 0.02 if self.cadence is None else min(1.0, max(0.01, self.cadence / 5))
        while True:
            latest = self.observe()
            if latest > seq:
                return latest
            if time.monotonic() - start > self.stall_seconds():
                raise ApplyError(f"the Stellar RPC reported no new ledger after {seq} for "
                                 f"{time.monotonic() - start:.0f} s", hint="The RPC or its network is stalled.")
            time.sleep(interval)
            if self.cadence is None:
                interval = min(1.0, interval * 1.5)


@dataclass
class Job:
    """One step to run on some lane: the envelope once built, and what became of it."""

    change: Change
    step: Step
    signer: str
    te: Any = None
    tx_hash: str | None = None
    seq: int | None = None
    queued_at: int = 0  # ledger at which the RPC answered PENDING
    refused_at: int = 0  # first ledger at which this envelope got TRY_AGAIN_LATER
    rebuilds: int = 0
    journalled: bool = False
    call: str | None = None  # the invocation read back from the signed XDR (journal, history)
    lost: str = ""  # why sendTransaction gave no answer, when it did not


@dataclass
class Lane:
    """A source account: the signer itself or one of its channels. At most one job at a time."""

    address: str
    keypair: Any
    signer: str
    channel: bool
    job: Job | None = None
    queued: bool = False  # the job's envelope is in the network's queue (PENDING)
    send_after: int = 0  # ledger after which a refused envelope may be sent again


@dataclass
class Outcome:
    """What the lanes did: finished jobs in completion order, and the first reason to stop."""

    finished: list[tuple[Job, dict[str, Any]]] = field(default_factory=list)
    failed: list[tuple[Job, str]] = field(default_factory=list)
    error: TempoctlError | None = None


class LaneRunner:
    """Drives jobs through lanes. `prepare(job, lane)` builds and signs the job's envelope for that lane's
    account (simulation, authorization, assembly); `journal(event, **fields)` records; `client` is the
    `StellarClient`; `builder` the `TxBuilder` holding sequence numbers per source account."""

    def __init__(self, client: Any, builder: Any, journal: Callable[..., None],
                 prepare: Callable[[Job, Lane], None], network: str) -> None:
        self.client, self.builder, self.journal, self.prepare, self.network = client, builder, journal, prepare, network
        self.clock = LedgerClock(client.latest_ledger)

    # ---- the loop ------------------------------------------------------------------------------------
    def run(self, jobs: list[Job], lanes: dict[str, list[Lane]]) -> Outcome:
        out = Outcome()
        todo: dict[str, deque[Job]] = {}
        for j in jobs:
            todo.setdefault(j.signer, deque()).append(j)
        every = [lane for ls in lanes.values() for lane in ls]
        with ThreadPoolExecutor(max_workers=MAX_PARALLEL) as pool:
            try:
                self._loop(out, todo, lanes, every, pool)
            except TempoctlError as exc:  # e.g. the RPC went away: what is final stays final, the rest in doubt
                out.error = out.error or exc
        if out.error is None and any(todo.values()) and not out.failed:
            out.error = ApplyError("no source account could send the remaining Soroban steps")
        return out

    def _loop(self, out: Outcome, todo: dict[str, deque[Job]], lanes: dict[str, list[Lane]], every: list[Lane],
              pool: ThreadPoolExecutor) -> None:
        latest = self.clock.observe()
        while True:
            if out.error is None and not out.failed:
                self._assign(todo, lanes, pool, out)
            if out.error is None:
                self._send(every, latest, pool, out)
            busy = [lane for lane in every if lane.job is not None]
            if not busy:
                break
            if out.error is not None and not any(lane.queued for lane in busy):
                self._give_up(busy, "the apply stopped before it was sent")
                break
            try:
                latest = self.clock.wait_after(latest)
            except ApplyError as exc:
                out.error = out.error or exc
                self._give_up([lane for lane in busy if not lane.queued], "never queued")
                break
            self._poll(every, latest, pool, out)

    def _assign(self, todo: dict[str, deque[Job]], lanes: dict[str, list[Lane]], pool: ThreadPoolExecutor,
                out: Outcome) -> None:
        """Give each free lane the next job of its signer and build its envelope (in parallel)."""
        pairs: list[tuple[Job, Lane]] = []
        for signer, queue in todo.items():
            for lane in lanes.get(signer, []):
                if not queue:
                    break
                if lane.job is None:
                    lane.job = queue.popleft()
                    pairs.append((lane.job, lane))
        errors = list(pool.map(lambda p: self._build(*p), [(j, ln) for j, ln in pairs if j.te is None]))
        for err in errors:
            if err is not None and out.error is None:
                out.error = err
        for job, lane in pairs:
            if job.te is None:
                lane.job = None  # never built: nothing was journalled or sent

    def _build(self, job: Job, lane: Lane) -> TempoctlError | None:
        try:
            self.prepare(job, lane)
        except TempoctlError as exc:
            return exc
        except Exception as exc:  # noqa: BLE001 - stellar-sdk raises many types; never a traceback
            return ApplyError(f"{job.change.address}: cannot build the transaction of {job.step.display} "
                              f"({type(exc).__name__}: {str(exc)[:200]})", hint="Nothing of this step was sent.")
        return None

    def _send(self, lanes: list[Lane], latest: int, pool: ThreadPoolExecutor, out: Outcome) -> None:
        """Journal, then send, every built envelope whose lane may send now."""
        ready = [lane for lane in lanes if lane.job is not None and lane.job.te is not None and not lane.queued
                 and latest >= lane.send_after]
        for lane in ready:
            job = lane.job
            assert job is not None
            if not job.journalled:
                self.journal("intent", kind="soroban_invocation", address=job.change.address,
                             display=job.step.display, call=job.call, signer=job.step.signer,
                             sender=lane.address, nonce=job.seq, network=self.network, tx_hash=job.tx_hash,
                             raw_tx=job.te.to_xdr(), **({"channel": True} if lane.channel else {}))
                job.journalled = True
        answers = list(pool.map(self._submit, [lane.job for lane in ready]))
        for lane, (status, code) in zip(ready, answers):
            job = lane.job
            assert job is not None
            if status == "LOST":
                # No answer even after retries (`code` says why): it may be queued. Watch it by hash like a
                # queued one; if it never shows up within INCLUSION_LEDGERS, the apply stops with it in doubt
                # (journalled, settled by the next apply).
                lane.queued, job.queued_at, job.lost = True, latest, code
                self.builder.consume(lane.address)
            elif status in ("PENDING", "DUPLICATE"):
                lane.queued, job.queued_at = True, latest
                self.builder.consume(lane.address)
                self.journal("sent", address=job.change.address, tx_hash=job.tx_hash, nonce=job.seq,
                             sender=lane.address)
            elif status == "TRY_AGAIN_LATER":
                job.refused_at = job.refused_at or latest
                lane.send_after = latest + 1
                if latest - job.refused_at >= INCLUSION_LEDGERS:
                    self._abandon(lane, f"refused by the RPC (TRY_AGAIN_LATER) for {INCLUSION_LEDGERS} ledgers; "
                                        "never queued")
                    out.error = out.error or ApplyError(
                        f"{job.change.address}: the RPC kept refusing the transaction (TRY_AGAIN_LATER) for "
                        f"{INCLUSION_LEDGERS} ledgers; nothing of this step was queued",
                        hint=f"Another transaction from {lane.address} is pending, or the network's queue is full. "
                             "Run apply again later.")
            elif status == "ERROR" and code == "txBAD_SEQ":
                self._bad_seq(lane, latest, out)
            else:
                self._abandon(lane, f"refused by the RPC ({code}); never queued")
                out.error = out.error or ApplyError(
                    f"{job.change.address}: the RPC refused the transaction ({code}); nothing of this step was queued",
                    hint=_hint(code, lane.address))

    def _submit(self, job: Job | None) -> tuple[str, str]:
        from stellar_sdk import xdr

        assert job is not None
        try:
            res = self.client._rpc("sendTransaction", self.client.server.send_transaction, job.te)
        except TempoctlError as exc:
            return "LOST", exc.summary
        status = str(getattr(res.status, "value", res.status))
        code = status
        if status == "ERROR":
            try:
                code = xdr.TransactionResult.from_xdr(res.error_result_xdr).result.code.name
            except Exception:  # noqa: BLE001 - an unreadable result is reported by its status
                code = status
        return status, code

    def _bad_seq(self, lane: Lane, latest: int, out: Outcome) -> None:
        """txBAD_SEQ: ours already applied (a lost answer), or another transaction took the number."""
        job = lane.job
        assert job is not None and job.tx_hash is not None
        status, _ = self._status(job.tx_hash)
        if status != "NOT_FOUND":
            lane.queued, job.queued_at = True, latest  # it is on the ledger: _poll finishes it
            self.builder.consume(lane.address)
            return
        self._abandon(lane, f"sequence {job.seq} of {lane.address} was used by another transaction; never queued",
                      keep_lane=True)
        self.builder._seq.pop(lane.address, None)  # reload the account's sequence number on the next build
        job.rebuilds += 1
        if job.rebuilds > REBUILDS:
            lane.job = None
            out.error = out.error or ApplyError(
                f"{job.change.address}: another transaction kept using the sequence numbers of {lane.address}",
                hint="Something else sends from this account at the same time; give tempoctl its own channel accounts.")
            return
        job.te, job.tx_hash, job.journalled, job.refused_at = None, None, False, 0
        err = self._build(job, lane)
        if err is not None:
            lane.job = None
            out.error = out.error or err

    def _abandon(self, lane: Lane, reason: str, keep_lane: bool = False) -> None:
        job = lane.job
        assert job is not None
        if job.journalled:
            self.journal("abandoned", kind="soroban_invocation", address=job.change.address, tx_hash=job.tx_hash,
                         nonce=job.seq, sender=lane.address, network=self.network, reason=reason)
        if not keep_lane:
            lane.job = None

    def _give_up(self, lanes: list[Lane], reason: str) -> None:
        for lane in lanes:
            if lane.job is not None and not lane.queued:
                self._abandon(lane, reason)

    def _status(self, tx_hash: str) -> tuple[str, Any]:
        rec = self.client._rpc("getTransaction", self.client.server.get_transaction, tx_hash)
        return str(getattr(rec.status, "value", rec.status)), rec

    def _poll(self, lanes: list[Lane], latest: int, pool: ThreadPoolExecutor, out: Outcome) -> None:
        """After a new ledger: look up every queued transaction once."""
        queued = [lane for lane in lanes if lane.queued and lane.job is not None]
        answers = list(pool.map(lambda ln: self._status(str(ln.job.tx_hash if ln.job else "")), queued))
        for lane, (status, rec) in zip(queued, answers):
            job = lane.job
            assert job is not None
            if status == "NOT_FOUND":
                if latest - job.queued_at > INCLUSION_LEDGERS:
                    lane.queued, lane.job = False, None
                    seen = (f"{job.lost}; transaction {job.tx_hash} not seen in the {INCLUSION_LEDGERS} ledgers since"
                            if job.lost else f"transaction {job.tx_hash} not included {INCLUSION_LEDGERS} ledgers "
                                             "after it was queued")
                    out.error = out.error or ApplyError(
                        f"{job.change.address}: {seen} (~{INCLUSION_LEDGERS * self.clock.seconds_per_ledger:.0f} s)",
                        hint="It may still land: the journal holds its hash and the next apply settles it.")
                continue
            lane.queued, lane.job = False, None
            receipt = {"status": status, "ledger": rec.ledger}
            self.journal("receipt", kind="soroban_invocation", address=job.change.address, tx_hash=job.tx_hash,
                         status=1 if status == "SUCCESS" else 0, ledger=rec.ledger, network=self.network,
                         sender=lane.address, nonce=job.seq)
            out.finished.append((job, receipt))
            if status != "SUCCESS":
                out.failed.append((job, _failure(rec)))


def _hint(code: str, account: str) -> str:
    if code == "txINSUFFICIENT_BALANCE":
        return f"{account} cannot pay the fee: fund it."
    if code == "txNO_ACCOUNT":
        return f"{account} does not exist on this network: create and fund it."
    if code in ("txTOO_LATE", "txTOO_EARLY"):
        return "Check this machine's clock."
    return "Nothing of this step was sent; re-plan and apply again."


def _failure(rec: Any) -> str:
    from tempoctl.observed.stellar.errors import failure_reason

    return failure_reason(rec)
