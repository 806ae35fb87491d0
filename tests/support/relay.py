"""A tiny oracle relay for the rotation tests: signs EIP-712 OracleUpdate signals with the key from its
environment (ORACLE_PRIVATE_KEY, which the stand-in systemctl loads from the unit's env file, as systemd's
EnvironmentFile= would) and sends `updateOracleSignal` every `--interval` seconds, like offchain/oracle_relay.py.

Run as a unit's command: `python tests/support/relay.py --rpc URL --risk ADDR --pair 0x… [--interval S]`.
Prints one line per attempt (the stand-in journalctl shows them); never prints the key.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def main() -> int:
    from web3 import Web3

    from tests.support.contracts import (
        OracleSignal,
        TxReverted,
        _transact,
        address_of,
        call,
        contract,
        sign_oracle_signal,
    )

    p = argparse.ArgumentParser()
    p.add_argument("--rpc", required=True)
    p.add_argument("--risk", required=True)
    p.add_argument("--pair", required=True)
    p.add_argument("--interval", type=float, default=0.5)
    args = p.parse_args()
    key = os.environ.get("ORACLE_PRIVATE_KEY", "").strip()
    if not key:
        print("FATAL: ORACLE_PRIVATE_KEY is not set", flush=True)
        return 1
    pair = bytes.fromhex(args.pair[2:])
    w3 = Web3(Web3.HTTPProvider(args.rpc))
    chain_id = w3.eth.chain_id
    print(f"relay started as {address_of(key)}", flush=True)
    while True:
        try:
            # Like the real relay: the local clock (a signal must be newer than the last one and not ahead of
            # the block that includes it; one that is too early fails and is retried on the next round).
            last = call(w3, args.risk, "RiskController", "oracleLastTimestamp", pair)
            ts = max(int(time.time()), last + 1)
            nonce = call(w3, args.risk, "RiskController", "oracleNonces", pair) + 1
            signal = OracleSignal(0, 0, 10**12, 10**12, ts, nonce)
            sig = sign_oracle_signal(args.risk, chain_id, pair, signal, key)
            data = contract(w3, args.risk, "RiskController").functions.updateOracleSignal(
                pair, tuple(signal), sig)._encode_transaction_data()
            # A fixed gas limit, as the real relay's 200k: estimation runs against the latest block, whose
            # timestamp may still be older than the signal's; the block that includes it will not be.
            _transact(w3, {"to": args.risk, "data": data, "gas": 300_000}, key)
            print(f"signal nonce={nonce} timestamp={ts}", flush=True)
        except TxReverted as exc:
            print(f"signal rejected: {exc}", flush=True)
        time.sleep(args.interval)


if __name__ == "__main__":
    sys.exit(main())
