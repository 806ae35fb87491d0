"""Run the Soroban RPC emulator standalone (README demo).

    python -m tests.soroban --port 8000 --passphrase "Test SDF Network ; September 2015" \\
        --fund G... --deploy-admin G...

Prints the RPC URL on the first line (then ``CONTRACT_ID=C...`` if a contract was deployed)
and serves until interrupted.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading

from .emulator import start_emulator


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.soroban", description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0, help="0 = a free port")
    ap.add_argument("--passphrase", default="Standalone Network ; February 2017")
    ap.add_argument("--start-ledger", type=int, default=1000)
    ap.add_argument("--ledger-interval", type=float, default=1.0,
                    help="close a ledger every N seconds (0: never; a real network closes one every ~5 s)")
    ap.add_argument("--rpc-version", default=None, help="the version getVersionInfo reports")
    ap.add_argument("--fund", action="append", default=[], metavar="G...", help="create a funded account")
    ap.add_argument("--deploy-admin", metavar="G...", help="deploy an initialised vision_records with this admin")
    ap.add_argument("--contract-id", metavar="C...", help="contract ID for --deploy-admin (default random)")
    args = ap.parse_args(argv)

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with start_emulator(args.passphrase, host=args.host, port=args.port, start_ledger=args.start_ledger,
                        ledger_interval=args.ledger_interval,
                        **({"rpc_version": args.rpc_version} if args.rpc_version else {})) as emu:
        for account in args.fund:
            emu.fund(account)
        print(emu.url, flush=True)
        if args.deploy_admin:
            if args.deploy_admin not in args.fund:
                emu.fund(args.deploy_admin)
            cid = emu.deploy_vision_records(args.contract_id, admin=args.deploy_admin)
            print(f"CONTRACT_ID={cid}", flush=True)
        try:
            while not stop.wait(0.2):
                pass
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
