"""Send Soroban steps: simulate again as the source, assemble (`prepare_transaction`), sign, journal, send,
wait for inclusion; or, when the signer's key is not available, write the unsigned transaction XDR under
`plans/` and mark the change pending (the next plan shows what is left).

Sending follows the network's queue rule (one pending transaction per source account, applied at the next
ledger close): steps run in lanes, one per source account — the signer's own, or its `channels:` — each
waiting for its transaction's ledger before the next (`tempoctl.apply.stellar_lanes`). From a channel, the
signer authorises the invocation with a signed Soroban authorization entry instead of being the source.

Keys: `key: env:VAR` holds an `S…` secret seed, read only here. A declared key whose variable is unset is
"not available": an offline signer, a second person holding the new admin's key. The two-step admin
handover therefore stops cleanly after `propose_admin` and resumes on a later apply with that key.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from tempoctl.apply.context import ApplyContext, SentStep
from tempoctl.apply.signers import SignerError
from tempoctl.apply.stellar_lanes import AUTH_VALID_LEDGERS, Job, Lane, LaneRunner
from tempoctl.atomic import write_atomic
from tempoctl.core.addrs import attribute
from tempoctl.core.steps import SorobanTx, SorobanVerify
from tempoctl.errors import ApplyError, TempoctlError
from tempoctl.observed.stellar.tx import OFFLINE_TIMEOUT_SECONDS
from tempoctl.plan.model import Change, Step
from tempoctl.profiles.vision_records.model import VisionRecordsContract

HANDOFF = "unsigned XDR"
_WOULD_FAIL = "Nothing of this step was sent. Check the signer's tier or the contract state, then re-plan."


def load_stellar_keypair(name: str, address: str, key: str | None, environ: Any) -> Any | None:
    """The signer's Keypair, or None when no key is available (no `key:`, or its variable unset)."""
    from stellar_sdk import Keypair

    if not key:
        return None
    kind, ref = key.split(":", 1)
    if kind != "env":
        raise SignerError(f"signer {name}: Stellar keys are read from env:VAR (an S… seed); {kind}: is for EVM keystores")
    raw = environ.get(ref)
    if not raw:
        return None
    try:
        kp = Keypair.from_secret(raw.strip())
    except Exception:  # noqa: BLE001 - never echo the value or the library's message about it
        raise SignerError(f"signer {name}: {ref} does not hold a valid Stellar secret seed") from None
    if kp.public_key != address:
        raise SignerError(f"signer {name}: the seed in {ref} belongs to {kp.public_key}, not the declared {address}")
    return kp


def signed_invocation(change: Change, step: Step, envelope: Any) -> str | None:
    """The call an assembled transaction really makes, read back from its XDR (contract, function, args),
    after checking it is exactly the step's: what the plan shows and what is signed never disagree. The
    result (``add_to_whitelist(G…, G…)``, full keys) is what the journal and `history` record. Steps that
    are not invocations (ExtendFootprintTTL) return None."""
    if step.kind != "soroban_invocation":
        return None
    from tempoctl.observed.stellar.args import display, invocation

    try:
        contract, function, args = invocation(envelope)
    except ValueError as exc:
        raise ApplyError(f"{change.address}: cannot read back the transaction of {step.display}: {exc}") from None
    tx = SorobanTx.of(step)
    if (contract, function, args) != (tx.contract, tx.function, tx.args):
        raise ApplyError(f"{change.address}: the assembled transaction calls {contract}.{display(function, args)}, "
                         f"not the planned {display(tx.function, tx.args)}; nothing was sent",
                         hint="Re-plan; this is a bug if it happens again.")
    return display(function, args, full=True)


@dataclass
class StellarExecutor:
    """Runs the Soroban steps of one network; shared by the step kinds of that network so sequence numbers
    of one source account stay in one place. Steps go through lanes (`stellar_lanes`): one transaction in
    flight per source account, the signer's own account or its channel accounts."""

    actx: ApplyContext
    network: str
    keypairs: dict[str, Any] = field(default_factory=dict)
    builder: Any = None
    lanes: dict[str, list[Lane]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        from tempoctl.observed.stellar.tx import TxBuilder

        net = self.actx.env.state.networks[self.network]
        self.client = self.actx.fresh.clients[self.network]
        self.passphrase = net.passphrase  # type: ignore[union-attr]
        self.builder = TxBuilder(self.client, self.passphrase)
        self.runner = LaneRunner(self.client, self.builder, self.actx.journal.record, self._build, self.network)

    def prepare(self, items: list[tuple[Change, Step]]) -> None:
        for change, step in items:
            if step.kind == "soroban_verify":
                continue
            if not SorobanTx.of(step).source:
                raise ApplyError(f"{change.address}: no declared Stellar signer can send {step.display}",
                                 hint="Declare the signer (with its address) or set `signer:` on the contract.")
            name = step.signer
            if name is None or name in self.keypairs:
                continue
            signer = self.actx.env.state.signers.get(name)
            if signer is None:
                raise SignerError(f"the plan names signer {name}, which the state files no longer declare")
            self.keypairs[name] = kp = load_stellar_keypair(name, signer.address, signer.key, self.actx.environ)
            if kp is not None:
                self.lanes[name] = self._lanes(name, signer.address, kp)

    def _lanes(self, name: str, address: str, kp: Any) -> list[Lane]:
        """The signer's channel accounts that can send (key present, account on the network), else the
        signer's own account. A channel that cannot is said once and left out."""
        signer = self.actx.env.state.signers[name]
        out: list[Lane] = []
        for ch in getattr(signer, "channels", None) or []:
            ckp = load_stellar_keypair(f"{name} (channel {ch.address})", ch.address, ch.key, self.actx.environ)
            if ckp is None:
                self.actx.echo(f"  note: channel {ch.address} of signer {name}: no key available "
                               f"({ch.key or 'no key: declared'}); not used")
                continue
            try:
                self.builder.sequence(ch.address)
            except TempoctlError:
                self.actx.echo(f"  note: channel {ch.address} of signer {name}: no such account on {self.network} "
                               "(not funded); not used")
                continue
            out.append(Lane(ch.address, ckp, name, channel=True))
        return out or [Lane(address, kp, name, channel=False)]

    def send_wave(self, items: list[tuple[Change, Step]]) -> list[SentStep]:
        out: list[SentStep] = []
        jobs: list[Job] = []
        for change, step in items:
            if step.kind == "soroban_verify":
                out.append(self._verify(change, step))
            elif self.keypairs.get(step.signer or "") is None:
                out.append(self._offline(change, step))
            else:
                jobs.append(Job(change, step, step.signer or ""))
        if not jobs:
            return out
        result = self.runner.run(jobs, self.lanes)
        for job, receipt in result.finished:
            s = SentStep(job.change, job.step, tx_hash=job.tx_hash, nonce=job.seq, receipt=receipt, finished=True)
            if receipt["status"] == "SUCCESS":
                s.summary = f"tx {job.tx_hash}  ledger {receipt['ledger']}"
                rec_info = SorobanTx.of(job.step).record
                record = self.actx.fresh.extra.get("stellar_record")
                if rec_info and record is not None:
                    record.save(scopes={rec_info["scope"]: {rec_info["key"]}})
            else:
                s.failed = True
            out.append(s)
        error: TempoctlError | None = result.error
        if result.failed:
            error = ApplyError(f"{len(result.failed)} Soroban transaction(s) failed: " + ", ".join(
                f"{j.change.address} ({j.tx_hash}): {why}" for j, why in result.failed))
        if error is not None:
            error.sent_steps = out  # type: ignore[attr-defined]  # the runner reports these as done, not in doubt
            raise error
        return out

    def _build(self, job: Job, lane: Lane) -> None:
        """Build, check and sign the job's transaction with `lane`'s account as source. From a channel, the
        signer authorises the invocation through its Soroban authorization entries (address credentials,
        signed with `authorize_entry`), then the transaction is simulated again with them so its footprint
        and resources include their verification (and it would fail now if they did not verify)."""
        change, step = job.change, job.step
        tx = replace(SorobanTx.of(step), source=lane.address)
        if not lane.channel or step.kind != "soroban_invocation":  # ExtendFootprintTTL needs no authorisation
            [raw] = self.builder.simulate_many([tx])
            if not raw.ok:
                raise ApplyError(f"{change.address}: {step.display} would fail: {raw.error}", hint=_WOULD_FAIL)
            te = self.builder.assemble(tx, raw).envelope
        else:
            te = self._authorised(change, step, tx, self.keypairs[job.signer])
        job.call = signed_invocation(change, step, te)
        te.sign(lane.keypair)
        job.te, job.tx_hash, job.seq = te, te.hash_hex(), int(te.transaction.sequence)

    def _authorised(self, change: Change, step: Step, tx: SorobanTx, signer_kp: Any) -> Any:
        from stellar_sdk import xdr
        from stellar_sdk.auth import authorize_entry

        from tempoctl.observed.stellar.errors import decode_error

        te = self.builder.build(tx)
        sim = self.client._rpc("simulateTransaction", self.client.server.simulate_transaction, te)
        if sim.error:
            raise ApplyError(f"{change.address}: {step.display} would fail: {decode_error(sim.error)}", hint=_WOULD_FAIL)
        valid_until = max(self.runner.clock.seq, int(sim.latest_ledger)) + AUTH_VALID_LEDGERS
        signed = []
        for raw in (sim.results[0].auth if sim.results else None) or []:
            entry = xdr.SorobanAuthorizationEntry.from_xdr(raw)
            creds = entry.credentials.address or entry.credentials.address_v2
            if creds is None:  # source-account credentials would make the channel the authoriser: never
                raise ApplyError(f"{change.address}: {step.display} asks the channel account itself to authorise it",
                                 hint="Remove that account from `channels:`; a channel only pays and sends.")
            from stellar_sdk import Address

            who = Address.from_xdr_sc_address(creds.address).address
            if who != signer_kp.public_key:
                raise ApplyError(f"{change.address}: {step.display} needs the authorisation of {who}, "
                                 f"not only of signer {step.signer}", hint="Nothing was sent.")
            signed.append(authorize_entry(entry, signer_kp, valid_until, self.passphrase))
        te.transaction.operations[0].auth = signed
        sim2 = self.client._rpc("simulateTransaction", self.client.server.simulate_transaction, te)
        if sim2.error:
            raise ApplyError(f"{change.address}: {step.display} would fail with its signed authorisation: "
                             f"{decode_error(sim2.error)}", hint=_WOULD_FAIL)
        return self.client.server.prepare_transaction(te, sim2)

    def _offline(self, change: Change, step: Step) -> SentStep:
        """No key for the signer: the unsigned transaction (the signer as source) for someone to sign."""
        tx = SorobanTx.of(step)
        [raw] = self.builder.simulate_many([tx])
        if not raw.ok:
            raise ApplyError(f"{change.address}: {step.display} would fail: {raw.error}", hint=_WOULD_FAIL)
        source = str(tx.source)
        seq = self.builder.sequence(source) + 1
        exported = self.builder.assemble(tx, raw, timeout=OFFLINE_TIMEOUT_SECONDS)
        signed_invocation(change, step, exported.envelope)
        sent = self._export(change, step, exported.envelope, seq)
        self.builder.consume(source)
        return sent

    def _export(self, change: Change, step: Step, te: Any, seq: int) -> SentStep:
        base = Path(self.actx.cwd or Path.cwd()) / "plans"
        tx = SorobanTx.of(step)
        slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{self.actx.env.name}-{change.address}-{tx.function}")
        path = base / f"{slug}.xdr"
        write_atomic(path, te.to_xdr() + "\n")
        self.actx.journal.record("pending", address=change.address, display=step.display, signer=step.signer,
                                 sender=tx.source, nonce=seq, file=str(path), network=self.network)
        if change.steps[0] is step:  # a whole change handed off: the next plan shows it as awaiting, not as drift
            from tempoctl.plan.pending import load_store

            store = self.actx.extra.setdefault("pending_store", load_store(self.actx.env, self.actx.cwd))
            store.add(change, handoff=HANDOFF, file=f"plans/{path.name}", signer=step.signer,
                      apply_id=self.actx.journal.apply_id)
            until = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=OFFLINE_TIMEOUT_SECONDS)
            store.records[change.address]["expires_at"] = until.isoformat(timespec="seconds")
            store.save()
        who = step.signer or tx.source
        return SentStep(change, step, nonce=seq, pending=True,
                        summary=f"no key for {who}: unsigned XDR written to {path} (valid 24 h: sign and submit it; "
                                "after that tempoctl plans it again)")

    def _verify(self, change: Change, step: Step) -> SentStep:
        """Re-check the new contract at the latest ledger just before consumers would be repointed."""
        from tempoctl.observed.stellar import ledger as L
        from tempoctl.profiles.vision_records.read import instance, switch_problems

        v = SorobanVerify.of(step)
        key = L.instance_key(v.contract)
        got, _ = self.client.entries([key])
        problems = switch_problems(instance(got.get(key.to_xdr()))[0], v.wasm_sha256, v.admin)
        if problems:
            raise ApplyError(f"{change.address}: {v.contract} failed verification: " + "; ".join(problems))
        record = self.actx.fresh.extra.get("stellar_record")
        if record is not None:
            record.save(cursors={f"contract_id:{v.name}": v.contract})
        self.actx.journal.record("verified", address=change.address, contract=v.contract)
        return SentStep(change, step, summary=f"verified {v.contract}", receipt={"status": "verified"})

    def await_wave(self, sent: list[SentStep]) -> None:
        """Nothing left to wait for: `send_wave` waits for each transaction's inclusion in its lane."""


def make_stellar_executor(actx: ApplyContext, network: str) -> StellarExecutor:
    """One executor per Stellar network for all Soroban step kinds (shared sequence numbers)."""
    key = f"stellar:{network}"
    if key not in actx.extra:
        actx.extra[key] = StellarExecutor(actx, network)
    ex: StellarExecutor = actx.extra[key]
    return ex


def record_declared_keys(actx: ApplyContext) -> None:
    """After an apply, every declared tier and whitelist key, and the live contract ID, are tempoctl-managed:
    removing one from the YAML later plans its removal."""
    record = actx.fresh.extra.get("stellar_record")
    if record is None:
        return
    for name, c in actx.env.state.contracts.items():
        if not isinstance(c, VisionRecordsContract):
            continue
        scopes = {attribute(name, "admin_tier"): set(c.admin_tiers)}
        wl = c.whitelist
        if wl is not None and wl.members:
            scopes[attribute(name, "whitelist")] = set(wl.members)
        live = actx.fresh.observed.values.get(attribute(name, "contract_id")) or {}
        cursors = {f"contract_id:{name}": c.contract_id} if live.get("exists") else {}
        record.save(scopes=scopes, cursors=cursors)
