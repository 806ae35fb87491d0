"""`python -m bench.channels`: how many ledgers `tempoctl apply` needs for N whitelist changes on a network that
queues one transaction per source account, with channel accounts and without.

Runs alone (not part of `python -m bench`). The Soroban RPC emulator (tests/soroban) closes a ledger every
`--ledger` seconds (1 s by default; testnet and mainnet target 5 s) and includes at most the testnet's Soroban
`ledger_max_tx_count` (2000, stellar-core `soroban-settings/testnet_settings_upgrade.json`) transactions per
ledger, one pending transaction per source account (stellar-core `TransactionQueue::canAdd`).

Two cases, each a real `tempoctl apply --auto-approve` process against its own contract:

* **channels**: the admin declares `--channels` channel accounts; each invocation is sent by a channel and
  authorised by the admin's signed Soroban authorization entry.
* **one account**: the admin sends everything itself. At a 1 s ledger, N changes need at least N ledgers
  (N seconds); to keep the run short it runs at `--single-ledger` seconds per ledger and is reported **in
  ledgers** (the count does not depend on the ledger length as long as a ledger is longer than tempoctl's
  turnaround), optionally on fewer items (`--single-items`), then scaled per item and labelled so.

Figures: ledgers spanned by the apply's transactions (first to last inclusion), the most transactions in one
ledger, ledgers from the apply's start to its end (plan included), wall time. Written to
bench/results/channels.{json,md}.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from stellar_sdk import Keypair, TransactionEnvelope

from tests.soroban import Emulator, NetworkConfig, start_emulator
from tests.support.teye_state import environment_yaml, teye_yaml, write_teye_state

ROOT = Path(__file__).resolve().parents[1]
PASSPHRASE = "Standalone Network ; February 2017"
TARGET_CHANNEL_LEDGERS = 15
TARGET_SINGLE_LEDGERS = 200


def _tempoctl() -> list[str]:
    script = Path(sys.executable).with_name("tempoctl")
    return [str(script)] if script.exists() else [sys.executable, "-m", "tempoctl"]


def _case(ledger_s: float, items: int, channels: int) -> dict[str, Any]:
    """One apply of `items` whitelist additions with `channels` channel accounts (0: the admin alone)."""
    with start_emulator(PASSPHRASE, ledger_interval=ledger_s, config=NetworkConfig()) as emu, \
            tempfile.TemporaryDirectory(prefix="tempoctl-bench-channels-") as tmp:
        admin = Keypair.random()
        emu.fund(admin.public_key)
        cid = emu.deploy_vision_records(admin=admin.public_key, instance_ttl=emu.ledger + 2_000_000)
        chans = [Keypair.random() for _ in range(channels)]
        env = {**os.environ, "TEYE_ADMIN_SECRET": admin.secret, "HOME": tmp}
        for i, ch in enumerate(chans):
            emu.fund(ch.public_key)
            env[f"TEYE_CH{i}"] = ch.secret
        members = [Keypair.random().public_key for _ in range(items)]
        write_teye_state(Path(tmp), environment_yaml(emu.url, PASSPHRASE, admin.public_key,
                                                     channels=[(c.public_key, f"TEYE_CH{i}") for i, c in enumerate(chans)]),
                         teye_yaml(cid, admin.public_key, whitelist=members, enabled=None))
        sources = {c.public_key for c in chans} or {admin.public_key}
        start_ledger, t0 = emu.ledger, time.monotonic()
        proc = subprocess.run([*_tempoctl(), "apply", "teye-local", "--auto-approve"], cwd=tmp, env=env,
                              capture_output=True, text=True, check=False)
        wall, end_ledger = time.monotonic() - t0, emu.ledger
        if proc.returncode != 0:
            raise SystemExit(f"apply failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
        return _figures(emu, sources, start_ledger, end_ledger, wall, ledger_s, items, channels)


def _figures(emu: Emulator, sources: set[str], start: int, end: int, wall: float, ledger_s: float, items: int,
             channels: int) -> dict[str, Any]:
    per_ledger: dict[int, int] = {}
    for rec in list(emu.transactions.values()):
        te = TransactionEnvelope.from_xdr(rec["envelopeXdr"], PASSPHRASE)
        if te.transaction.source.account_id in sources and rec["ledger"] > start and rec["status"] == "SUCCESS":
            per_ledger[rec["ledger"]] = per_ledger.get(rec["ledger"], 0) + 1
    landed = sum(per_ledger.values())
    if landed != items:
        raise SystemExit(f"expected {items} transactions, found {landed}")
    return {"items": items, "channels": channels, "ledger_seconds": ledger_s,
            "ledgers_spanned": max(per_ledger) - min(per_ledger) + 1, "max_tx_in_one_ledger": max(per_ledger.values()),
            "ledgers_whole_apply": end - start, "wall_s": round(wall, 1),
            "ledger_max_tx_count": emu.state.config.ledger_max_tx_count, "how": "measured"}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.channels", description=__doc__.split("\n\n")[0])
    ap.add_argument("--items", type=int, default=200, help="whitelist additions")
    ap.add_argument("--channels", type=int, default=20, help="channel accounts of the admin")
    ap.add_argument("--ledger", type=float, default=1.0, help="seconds per ledger for the channels case")
    ap.add_argument("--single-ledger", type=float, default=0.2, help="seconds per ledger for the one-account case")
    ap.add_argument("--single-items", type=int, default=None, help="items for the one-account case (default --items)")
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    a = ap.parse_args(argv)

    print(f"channels: {a.items} items, {a.channels} channels, {a.ledger} s ledger …", flush=True)
    chan = _case(a.ledger, a.items, a.channels)
    print(f"  {chan}", flush=True)
    single_items = a.single_items or a.items
    print(f"one account: {single_items} items, {a.single_ledger} s ledger …", flush=True)
    single = _case(a.single_ledger, single_items, 0)
    if single_items != a.items:
        k = a.items / single_items
        single = {**single, "items": a.items, "ledgers_spanned": round(single["ledgers_spanned"] * k),
                  "ledgers_whole_apply": round(single["ledgers_whole_apply"] * k), "wall_s": None,
                  "how": f"measured on {single_items} items, scaled ×{k:g} per item"}
    print(f"  {single}", flush=True)
    ok = chan["ledgers_spanned"] <= TARGET_CHANNEL_LEDGERS and single["ledgers_spanned"] >= TARGET_SINGLE_LEDGERS
    data = {"date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), "channels": chan, "one_account": single,
            "target": f"{a.items} changes with {a.channels} channels in <= {TARGET_CHANNEL_LEDGERS} ledgers, "
                      f"against >= {TARGET_SINGLE_LEDGERS} ledgers from one account",
            "target_met": ok, "cpu_count": os.cpu_count()}
    a.out.mkdir(parents=True, exist_ok=True)
    (a.out / "channels.json").write_text(json.dumps(data, indent=2) + "\n")
    (a.out / "channels.md").write_text(_markdown(data))
    print(("target met" if ok else "TARGET MISSED") + f"; written to {a.out}/channels.{{json,md}}")
    return 0 if ok else 1


def _markdown(d: dict[str, Any]) -> str:
    c, s = d["channels"], d["one_account"]
    rows = [
        ("with channels", c),
        ("one account", s),
    ]
    lines = [
        "# Soroban apply: channel accounts vs one source account",
        "",
        (f"`python -m bench.channels`, {d['date']}, {d['cpu_count']} cores. Soroban RPC emulator: one pending "
         "transaction per source account (TRY_AGAIN_LATER otherwise), a transaction applied at the next ledger "
         f"close, at most {c['ledger_max_tx_count']} Soroban transactions per ledger (testnet `ledger_max_tx_count`, "
         "stellar-core `soroban-settings/testnet_settings_upgrade.json`)."),
        "",
        ("| case | items | channels | s/ledger | ledgers (first→last tx) | max tx in a ledger | ledgers (whole apply) "
         "| wall | how |"),
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name, r in rows:
        wall = f"{r['wall_s']} s" if r.get("wall_s") is not None else "–"
        lines.append(f"| {name} | {r['items']} | {r['channels']} | {r['ledger_seconds']} | {r['ledgers_spanned']} "
                     f"| {r['max_tx_in_one_ledger']} | {r['ledgers_whole_apply']} | {wall} | {r['how']} |")
    lines += ["", f"Target: {d['target']} — **{'met' if d['target_met'] else 'missed'}**.", "",
              ("At a real network's 5 s ledger, the ledger counts stay the same: "
               f"{c['ledgers_spanned']} ledgers ≈ {c['ledgers_spanned'] * 5 / 60:.1f} min with channels, "
               f"{s['ledgers_spanned']} ledgers ≈ {s['ledgers_spanned'] * 5 / 60:.0f} min from one account."), ""]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
