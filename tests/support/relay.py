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

    from tests.support.contracts import OracleSignal, TxReverted, address_of, call, send, sign_oracle_signal

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
            last = call(w3, args.risk, "RiskController", "oracleLastTimestamp", pair)
            now = int(w3.eth.get_block("latest")["timestamp"])
            if now > last:
                nonce = call(w3, args.risk, "RiskController", "oracleNonces", pair) + 1
                signal = OracleSignal(0, 0, 10**12, 10**12, now, nonce)
                sig = sign_oracle_signal(args.risk, chain_id, pair, signal, key)
                send(w3, args.risk, "RiskController", "updateOracleSignal", pair, tuple(signal), sig, key=key)
                print(f"signal nonce={nonce} timestamp={now}", flush=True)
        except TxReverted as exc:
            print(f"signal rejected: {exc}", flush=True)
        time.sleep(args.interval)


if __name__ == "__main__":
    sys.exit(main())
