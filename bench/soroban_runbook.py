"""`python bench/soroban_runbook.py RPC PASSPHRASE CONTRACT SOURCE ITEMS.json`: the runbook's Soroban check.

For each item, the requests `stellar contract invoke --id CONTRACT --source-account SOURCE -- is_whitelisted
--user G…` (or `-- get_admin_tier --admin G…`) sends for a read-only call (stellar-cli
`commands/contract/invoke.rs`): `get_remote_contract_spec` first reads the contract instance (one
`getLedgerEntries`, every call) to learn its wasm hash, takes the spec from its on-disk cache by that hash
(the wasm itself is fetched only when the cache is cold, so not here), then one `simulateTransaction` of the
invocation, whose return value is printed and never sent. Items are checked one after another, each answer
compared with the expected one (`true`, or the tier number). Built with the unmodified stellar-sdk.

The real CLI also starts a process for each call, which this loop does not, so it is a lower bound on the
runbook's cost. Prints one JSON line: the loop's wall and CPU seconds (interpreter and stellar-sdk start-up
excluded).
"""

from __future__ import annotations

import json
import resource
import sys
import time


def _cpu() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def main() -> int:
    url, passphrase, contract_id, source, spec = sys.argv[1:6]
    from stellar_sdk import Account, Address, SorobanServer, TransactionBuilder, scval
    from stellar_sdk import xdr as x

    instance = x.LedgerKey(x.LedgerEntryType.CONTRACT_DATA, contract_data=x.LedgerKeyContractData(
        Address(contract_id).to_xdr_sc_address(), x.SCVal(x.SCValType.SCV_LEDGER_KEY_CONTRACT_INSTANCE),
        x.ContractDataDurability.PERSISTENT))

    with open(spec) as fh:
        items = json.load(fh)
    start, cpu0 = time.perf_counter(), _cpu()
    with SorobanServer(url) as server:
        for item in items:
            found = server.get_ledger_entries([instance]).entries or []
            data = x.LedgerEntryData.from_xdr(found[0].xdr).contract_data if found else None
            if data is None or data.val.instance is None or data.val.instance.executable.wasm_hash is None:
                print(f"contract {contract_id}: no wasm instance", file=sys.stderr)
                return 1
            tx = (TransactionBuilder(Account(source, 0), passphrase, base_fee=100)
                  .append_invoke_contract_function_op(contract_id, item["function"],
                                                      [scval.to_address(item["account"])])
                  .set_timeout(0).build())
            sim = server.simulate_transaction(tx)
            if sim.error or not sim.results:
                print(f"{item['function']}({item['account']}) failed: {sim.error}", file=sys.stderr)
                return 1
            got = scval.to_native(x.SCVal.from_xdr(sim.results[0].xdr))
            if got != item["expect"]:
                print(f"{item['function']}({item['account']}) returned {got!r}, expected {item['expect']!r}",
                      file=sys.stderr)
                return 1
    print(json.dumps({"wall_s": time.perf_counter() - start, "cpu_s": _cpu() - cpu0, "checked": len(items)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
