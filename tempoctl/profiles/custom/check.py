"""`tempoctl validate` checks of a `custom` block beyond its schema."""

from __future__ import annotations

import re
from typing import Any

from tempoctl.desired.types import normalise_evm_address
from tempoctl.profiles.custom.model import CustomContract
from tempoctl.profiles.folder import Validator

_SIG = re.compile(r"^([A-Za-z_$][A-Za-z0-9_$]*)\(([^()]*)\)(?:\(([^()]*)\))?$")
_ABI_TYPE = re.compile(r"^(address|bool|string|bytes(\d+)?|u?int(\d+)?)((\[\d*\])*)$")


def check(v: Validator, path: tuple[Any, ...], c: Any) -> None:
    """Each setting's signatures parse, fit together, and its value and key have the setter's types."""
    if not isinstance(c, CustomContract):
        return
    for name, s in c.settings.items():
        spath = (*path, "settings", name)
        read, write = _signature(s.read), _signature(s.write)
        if read is None or read[2] is None:
            v.err(
                (*spath, "read"),
                'expected a getter signature "name(inputs)(output)", e.g. "oracle()(address)"',
            )
        elif len(read[2]) != 1:
            v.err(
                (*spath, "read"), f"a getter must return exactly one value, this returns {len(read[2])}"
            )
        if write is None or write[2] is not None:
            v.err(
                (*spath, "write"),
                'expected a setter signature "name(inputs)", e.g. "setOracleAddress(address)"',
            )
            continue
        args = write[1]
        if len(args) not in (1, 2):
            v.err(
                (*spath, "write"),
                f"a setter takes the value, or a key then the value; this takes {len(args)} arguments",
            )
            continue
        if (len(args) == 2) != (s.key is not None):
            msg = (
                "`key` is required: the setter takes a key then the value"
                if len(args) == 2
                else "`key` is only for setters taking a key then the value"
            )
            v.err(spath if s.key is None else (*spath, "key"), msg, at_key=s.key is None)
        if read is not None and read[1] is not None and len(read[1]) != len(args) - 1:
            v.err(
                (*spath, "read"),
                f"the getter takes {len(read[1])} inputs, but the setter's key implies {len(args) - 1}",
            )
        _typed(v, (*spath, "value"), s.value, args[-1])
        if s.key is not None and len(args) == 2:
            _typed(v, (*spath, "key"), s.key, args[0])


def _typed(v: Validator, path: tuple[Any, ...], value: Any, abi: str) -> None:
    ok = True
    if abi == "address":
        try:
            normalise_evm_address(value)
        except ValueError as exc:
            v.err(path, f"{exc} (the signature says address)")
        return
    if abi == "bool":
        ok = isinstance(value, bool)
    elif abi.startswith(("uint", "int")) and "[" not in abi:
        ok = (
            isinstance(value, int)
            and not isinstance(value, bool)
            and (abi.startswith("int") or value >= 0)
        )
    elif abi == "bytes32":
        ok = isinstance(value, str) and re.fullmatch(r"0x[0-9a-fA-F]{64}", value) is not None
    if not ok:
        v.err(path, f"expected a value of type {abi}")


def _signature(text: str) -> tuple[str, list[str], list[str] | None] | None:
    m = _SIG.match(text.replace(" ", ""))
    if not m:
        return None
    lists = [[t for t in g.split(",") if t] if g is not None else None for g in (m.group(2), m.group(3))]
    for types_ in lists:
        for t in types_ or []:
            tm = _ABI_TYPE.match(t)
            if not tm:
                return None
            size = tm.group(2) or tm.group(3)
            if size and (
                int(size) < 1
                or (tm.group(3) and (int(size) % 8 or int(size) > 256))
                or (tm.group(2) and int(size) > 32)
            ):
                return None
    return m.group(1), lists[0] or [], lists[1]
