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


def string(s: str) -> dict[str, Any]:
    return {"string": s}


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
    if kind == "string":
        return scval.to_string(str(value))
    if kind == "vec":
        return scval.to_vec([to_scval(v) for v in value])
    raise ValueError(f"unknown Soroban argument kind {kind!r}")


def from_scval(val: Any) -> dict[str, Any]:
    """The plain JSON form of an `SCVal` of the kinds `to_scval` makes: its inverse, for reading back what a
    signed transaction really invokes."""
    from stellar_sdk import scval, xdr

    t = val.type
    if t == xdr.SCValType.SCV_ADDRESS:
        return address(scval.from_address(val).address)
    if t == xdr.SCValType.SCV_U32:
        return u32(scval.from_uint32(val))
    if t == xdr.SCValType.SCV_U64:
        return u64(scval.from_uint64(val))
    if t == xdr.SCValType.SCV_BOOL:
        return boolean(scval.from_bool(val))
    if t == xdr.SCValType.SCV_SYMBOL:
        return symbol(str(scval.from_symbol(val)))
    if t == xdr.SCValType.SCV_STRING:
        raw = scval.from_string(val)
        return string(raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw))
    if t == xdr.SCValType.SCV_VEC:
        return vec(*(from_scval(v) for v in scval.from_vec(val)))
    raise ValueError(f"unsupported Soroban value type {t.name}")


def invocation(envelope: Any) -> tuple[str, str, list[dict[str, Any]]]:
    """(contract ID, function, plain args) that a transaction envelope's one InvokeHostFunction calls."""
    from stellar_sdk import Address
    from stellar_sdk.operation import InvokeHostFunction

    [op] = envelope.transaction.operations
    if not isinstance(op, InvokeHostFunction) or op.host_function.invoke_contract is None:
        raise ValueError("the transaction does not invoke a contract function")
    call = op.host_function.invoke_contract
    function = call.function_name.sc_symbol
    return (Address.from_xdr_sc_address(call.contract_address).address,
            function.decode() if isinstance(function, bytes) else str(function),
            [from_scval(a) for a in call.args])


def short(a: str) -> str:
    """`GB4H…E2YL`: enough to tell keys apart in a one-line display; plans keep the full strkey in args."""
    return f"{a[:4]}…{a[-4:]}" if len(a) == 56 else a


def display(function: str, args: list[dict[str, Any]], *, full: bool = False) -> str:
    """`add_to_whitelist(GB4H…E2YL, …)`; `full` keeps whole strkeys (the journal's decoded call)."""

    def one(arg: dict[str, Any]) -> str:
        (kind, value), = arg.items()
        if kind == "address":
            return str(value) if full else short(str(value))
        if kind == "vec":
            parts = [one(v) for v in value]
            return parts[0] + (f"({', '.join(parts[1:])})" if len(parts) > 1 else "")
        return str(value).lower() if kind == "bool" else str(value)

    return f"{function}({', '.join(one(a) for a in args)})"
