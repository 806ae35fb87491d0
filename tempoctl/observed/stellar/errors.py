"""Decode Soroban failures for people: `Error(Contract, #3)` → `Unauthorized (Error(Contract, #3))`, with the
vision_records `ContractError` table of the reference (§12); host errors are shown by their kind."""

from __future__ import annotations

import re
from typing import Any

CONTRACT_ERRORS = {
    1: "NotInitialized", 2: "AlreadyInitialized", 3: "Unauthorized", 4: "UserNotFound", 5: "RecordNotFound",
    6: "InvalidInput", 7: "AccessDenied", 8: "Paused", 9: "ProviderNotFound", 10: "ProviderAlreadyRegistered",
    11: "InvalidVerificationStatus", 12: "InvalidAddress", 13: "InvalidTimestamp", 14: "StorageError",
    15: "RateLimitExceeded", 16: "ExpiredAccess", 17: "InvalidRole", 18: "InvalidPermission",
    19: "DelegationExpired", 20: "InvalidDataHash", 21: "DuplicateRecord", 22: "InvalidRecordType",
    23: "ContractPaused", 24: "InsufficientPermissions", 25: "TransientFailure", 26: "MetaTxExpired",
    27: "NonceAlreadyUsed", 28: "ConsentRequired", 29: "ConsentExpired", 30: "EmergencyAccessNotFound",
    31: "AppointmentNotFound", 32: "AppointmentNotVerified", 33: "InvalidEmergencyCondition",
    34: "InvalidAttestation", 35: "InvalidAppointmentTime", 36: "InvalidAppointmentStatus", 37: "VersionConflict",
    38: "ConflictQueued", 39: "ConflictNotFound", 40: "LineageNodeNotFound", 41: "LineageAncestorMissing",
    42: "LineageTampered", 43: "LineageAccessDenied", 44: "LineageCycleDetected", 45: "UserAlreadyExists",
    46: "InvalidPhase",
}

_CONTRACT = re.compile(r"Error\(Contract, #(\d+)\)")
_HOST = re.compile(r"Error\((Auth|Storage|Budget|Value|Object|Crypto|Events|Context|WasmVm), (\w+)\)")


def decode_error(text: str | None) -> str:
    """One line naming the failure; the raw RPC text may carry event logs and is never shown whole."""
    if not text:
        return "failed (no error text)"
    m = _CONTRACT.search(text)
    if m:
        code = int(m.group(1))
        return f"{CONTRACT_ERRORS.get(code, 'unknown contract error')} (Error(Contract, #{code}))"
    m = _HOST.search(text)
    if m:
        hint = " — the signer did not authorise this call" if m.group(1) == "Auth" else ""
        return f"host error {m.group(0)}{hint}"
    first = text.strip().splitlines()[0]
    return first[:200]


def failure_reason(rec: Any) -> str:
    """The decoded reason of a FAILED transaction, from its diagnostic events when the RPC gives them."""
    from stellar_sdk import xdr

    for raw in getattr(rec, "diagnostic_events_xdr", None) or []:
        try:
            body = xdr.DiagnosticEvent.from_xdr(raw).event.body.v0
        except Exception:  # noqa: BLE001 - an undecodable event says nothing about the failure
            body = None
        for val in [*(body.topics if body else []), body.data if body else None]:
            if (val is not None and val.type == xdr.SCValType.SCV_ERROR and val.error is not None
                    and val.error.contract_code is not None):
                code = int(val.error.contract_code.uint32)
                return f"{CONTRACT_ERRORS.get(code, 'unknown contract error')} (Error(Contract, #{code}))"
    try:
        return xdr.TransactionResult.from_xdr(rec.result_xdr).result.code.name
    except Exception:  # noqa: BLE001
        return "transaction failed"
