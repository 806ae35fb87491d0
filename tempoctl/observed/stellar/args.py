"""Soroban call arguments as plain JSON for plans (`{"address": "G…"}`, `{"u32": 3}`, `{"vec": […]}`), and
back to stellar-sdk `SCVal`s for simulation and sending. The JSON form is what reviewers read and what a
saved plan stores; stellar-sdk does the XDR."""

from __future__ import annotations

from typing import Any


def address(a: str) -> dict[str, Any]:
    return {"address": a}


def u32(n: int) -> dict[str, Any]:
    return {"u32": n}


def u64(n: int) -> dict[str, Any]:
    return {"u64": n}


def boolean(b: bool) -> dict[str, Any]:
    return {"bool": b}


def symbol(s: str) -> dict[str, Any]:
    return {"symbol": s}


def vec(*items: dict[str, Any]) -> dict[str, Any]:
    return {"vec": list(items)}


def to_scval(arg: dict[str, Any]) -> Any:
    from stellar_sdk import scval

    (kind, value), = arg.items()
    if kind == "address":
        return scval.to_address(value)
    if kind == "u32":
        return scval.to_uint32(int(value))
    if kind == "u64":
        return scval.to_uint64(int(value))
    if kind == "bool":
        return scval.to_bool(bool(value))
    if kind == "symbol":
        return scval.to_symbol(value)
    if kind == "vec":
        return scval.to_vec([to_scval(v) for v in value])
    raise ValueError(f"unknown Soroban argument kind {kind!r}")


def short(a: str) -> str:
    """`GB4H…E2YL`: enough to tell keys apart in a one-line display; plans keep the full strkey in args."""
    return f"{a[:4]}…{a[-4:]}" if len(a) == 56 else a


def display(function: str, args: list[dict[str, Any]]) -> str:
    def one(arg: dict[str, Any]) -> str:
        (kind, value), = arg.items()
        if kind == "address":
            return short(str(value))
        if kind == "vec":
            parts = [one(v) for v in value]
            return parts[0] + (f"({', '.join(parts[1:])})" if len(parts) > 1 else "")
        return str(value).lower() if kind == "bool" else str(value)

    return f"{function}({', '.join(one(a) for a in args)})"
