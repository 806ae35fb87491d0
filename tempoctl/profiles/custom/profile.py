"""Profile `custom`: a contract with no built-in profile, described by getter/setter signature pairs.

Each setting reads `read` (with `key` as its argument when given) and, when the value differs, sends
`write(key?, value)`. Values are compared after normalising to the getter's output type (checksummed
addresses, lower-case bytes, integers), so `0xABC…` and `0xabc…` are the same address.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from tempoctl.core.addrs import attribute
from tempoctl.eip55 import to_checksum_address
from tempoctl.plan.model import Action, Change
from tempoctl.profiles.base import Call, EvmFolderProfile, ObserveContext, ObserveGen, PlanContext, PlanItem
from tempoctl.profiles.custom.model import CustomContract

_SIG = re.compile(r"^\s*(\w+)\s*\((.*?)\)\s*(?:\((.*)\))?\s*$")


def split_signature(sig: str) -> tuple[str, list[str], list[str]]:
    m = _SIG.match(sig)
    if not m:
        raise ValueError(f"not a function signature: {sig!r}")
    ins = [t.strip() for t in m.group(2).split(",") if t.strip()]
    outs = [t.strip() for t in (m.group(3) or "").split(",") if t.strip()]
    return m.group(1), ins, outs


def to_abi_value(abi_type: str, value: Any) -> Any:
    """Convert a YAML scalar into what the ABI encoder takes for `abi_type`."""
    if abi_type == "address":
        return to_checksum_address(str(value))
    if abi_type == "bool":
        return bool(value)
    if abi_type.startswith(("uint", "int")):
        return int(value, 0) if isinstance(value, str) else int(value)
    if abi_type.startswith("bytes") and isinstance(value, str):
        raw = bytes.fromhex(value.removeprefix("0x"))
        if abi_type != "bytes":
            raw = raw.rjust(int(abi_type[5:]), b"\x00")
        return raw
    return value


def to_plain(abi_type: str, value: Any) -> Any:
    """A decoded ABI value as the JSON-able form plans show and compare."""
    if abi_type == "address":
        return to_checksum_address(str(value))
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex()
    return value


def _show(value: Any) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


class CustomProfile(EvmFolderProfile):
    name = "custom"

    def observe(self, ctx: ObserveContext, name: str, contract: CustomContract) -> ObserveGen:
        keyed = []
        for sname, s in contract.settings.items():
            _, ins, _ = split_signature(s.read)
            args = (to_abi_value(ins[0], s.key),) if ins and s.key is not None else ()
            keyed.append((sname, s, Call(contract.address, s.read, args)))
        if not keyed:
            return
        res = yield [c for _, _, c in keyed]
        for (sname, s, _), r in zip(keyed, res):
            _, _, outs = split_signature(s.read)
            if r.ok:
                ctx.observed.values[attribute(name, "setting", sname)] = to_plain(outs[0], r.value)
            else:
                address = attribute(name, "setting", sname)
                ctx.observed.error(("contracts", name, "settings", sname, "read"), f"{address}: {s.read} reverted", address)

    def plan(self, ctx: PlanContext, name: str, contract: CustomContract) -> Iterable[PlanItem]:
        for sname, s in contract.settings.items():
            key = attribute(name, "setting", sname)
            if key not in ctx.observed.values:
                continue
            _, _, outs = split_signature(s.read)
            want = to_plain(outs[0], to_abi_value(outs[0], s.value))
            have = ctx.observed.values[key]
            if have == want:
                continue
            wname, wins, _ = split_signature(s.write)
            raw = ([s.key] if s.key is not None else []) + [s.value]
            args = tuple(to_abi_value(t, v) for t, v in zip(wins, raw))
            shown = ", ".join(_show(to_plain(t, a)) for t, a in zip(wins, args))
            yield Change(
                address=key, action=Action.UPDATE, before=have, after=want,
                reason=ctx.env.where("contracts", name, "settings", sname, "value"),
                steps=[ctx.step(name, contract.address, f"{wname}({','.join(wins)})", args, contract.signer,
                                f"{wname}({shown})")],
            )
