"""The Safe Transaction Builder batch file: what a `via: safe` signer's steps become instead of transactions.

Format and checksum follow the Transaction Builder app (reference §7): numbers are strings, `createdAt` is
milliseconds, raw `data` is authoritative (the app uses it as is when present), and `contractMethod` +
`contractInputsValues` are added only for human review when every argument is a plain scalar, since the
app's own tuple/array encoding is brittle. The checksum is the app's: keccak-256 of its key-sorted
serialization of the batch with `meta.name` set to null and no `meta.checksum`, so the app shows no
"modified since generated" warning.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

_SCALAR = re.compile(r"^(address|bool|string|bytes\d*|u?int\d*)$")


def serialize(value: Any) -> str:
    """The Transaction Builder's canonical text of a JSON value (`serializeJSONObject` in the app).

    An object is the compact JSON array of its sorted keys followed by each value's serialization and a
    comma (also after the last one); arrays join their items with commas; scalars are compact JSON with
    non-ASCII kept as is, like `JSON.stringify`.
    """
    if isinstance(value, list):
        return "[" + ",".join(serialize(v) for v in value) + "]"
    if isinstance(value, dict):
        keys = sorted(value)
        return "{" + _compact(keys) + "".join(serialize(value[k]) + "," for k in keys) + "}"
    return _compact(value)


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def checksum(batch: dict[str, Any]) -> str:
    """The app's `calculateChecksum`: keccak-256 of the serialization of `batch` with `meta.name` null.

    It hashes `meta` as given, so a caller producing a file must hash it without a `checksum` key (what the
    app's own export and its validation do): use `with_checksum`.
    """
    from tempoctl.observed.evm.abi import keccak

    return "0x" + keccak(serialize({**batch, "meta": {**batch["meta"], "name": None}}).encode("utf-8")).hex()


def with_checksum(batch: dict[str, Any]) -> dict[str, Any]:
    """`batch` with `meta.checksum` set so that the app's validation (drop checksum, recompute) accepts it."""
    meta = {k: v for k, v in batch["meta"].items() if k != "checksum"}
    return {**batch, "meta": {**meta, "checksum": checksum({**batch, "meta": meta})}}


def checksum_valid(batch: dict[str, Any]) -> bool:
    """The app's `validateChecksum`: recompute without the stored checksum and compare."""
    meta = {k: v for k, v in batch["meta"].items() if k != "checksum"}
    return bool(batch["meta"].get("checksum")) and checksum({**batch, "meta": meta}) == batch["meta"]["checksum"]


def _input_value(abi_type: str, value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def transaction(to: str, data: str, function: str | None = None, args: Sequence[Any] | None = None) -> dict[str, Any]:
    """One batch entry: raw calldata, plus the decoded method for review when its arguments are scalars."""
    tx: dict[str, Any] = {"to": to, "value": "0", "data": data}
    if function and args is not None:
        from tempoctl.observed.evm.abi import parse_signature

        sig = parse_signature(function)
        if len(sig.inputs) == len(args) and all(_SCALAR.match(t) for t in sig.inputs):
            names = [f"arg{i}" for i in range(len(sig.inputs))]
            tx["contractMethod"] = {
                "inputs": [{"internalType": t, "name": n, "type": t} for t, n in zip(sig.inputs, names)],
                "name": sig.name,
                "payable": False,
            }
            tx["contractInputsValues"] = {n: _input_value(t, v) for t, n, v in zip(sig.inputs, names, args)}
    return tx


def build_batch(*, chain_id: int, safe: str, name: str, description: str, created_at_ms: int,
                transactions: list[dict[str, Any]]) -> dict[str, Any]:
    """A complete batch file (checksum included) for one Safe."""
    return with_checksum({
        "version": "1.0",
        "chainId": str(chain_id),
        "createdAt": created_at_ms,
        "meta": {"name": name, "description": description, "createdFromSafeAddress": safe},
        "transactions": transactions,
    })
