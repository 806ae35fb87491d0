"""Read a vision_records deployment: the instance entry (wasm hash, ADMIN, PEND_ADM, INIT, S_ADMIN, WL_EN, P_GLOB,
P_FUNC, RL_IN_CFG, TTL), `ADM_LIST`, the per-key entries `("ADM_TIER", addr)` / `("WL_ADR", addr)` for
declared ∪ recorded keys and `("ROLE_ASN", addr)` of the admin and former admins, all in one `getLedgerEntries`
list (chunked by 200: stellar-rpc `getLedgerEntriesMaxKeys`; each entry's TTL comes with it as
`liveUntilLedgerSeq`, TTL keys themselves are refused). The
out-of-band scan (`scan`: transactions the authorisers paid for since the last scan) adds keys changed from a
console to the record, so a whitelist entry added out of band shows up as drift even though the contract has
no enumeration and no event for it; keys it discovers are read in one more request. Archived entries
(`liveUntilLedgerSeq` 0 or past) are listed for the plan to restore (`archival`)."""

from __future__ import annotations

from typing import Any

from tempoctl.backend.base import BackendError
from tempoctl.core.addrs import attribute, keyed
from tempoctl.observed.stellar import ledger as L
from tempoctl.profiles.base import StellarReadContext
from tempoctl.profiles.vision_records import archival
from tempoctl.profiles.vision_records.model import VisionRecordsContract

TIERS = {1: "OperatorAdmin", 2: "ContractAdmin", 3: "SuperAdmin"}
TIER_RANK = {v: k for k, v in TIERS.items()}
PAUSE_TAGS = ("REG_USR", "ADD_REC", "GRT_ACC", "RVK_ACC")
ROLES = {0: "None", 1: "Patient", 2: "Staff", 3: "Optometrist", 4: "Ophthalmologist", 5: "Admin"}
PERMISSIONS = {1: "ReadAnyRecord", 2: "WriteRecord", 3: "ManageAccess", 4: "ManageUsers", 5: "SystemAdmin"}
# rbac.rs get_base_permissions (reference §6.1)
BASE_PERMISSIONS = {"Admin": ["SystemAdmin", "ManageUsers", "WriteRecord", "ManageAccess", "ReadAnyRecord"],
                    "Ophthalmologist": ["ManageUsers", "WriteRecord", "ManageAccess", "ReadAnyRecord"],
                    "Optometrist": ["ManageUsers", "WriteRecord", "ManageAccess", "ReadAnyRecord"],
                    "Staff": ["ManageUsers"]}
KEYED_FUNCTIONS = {"add_to_whitelist": "whitelist", "remove_from_whitelist": "whitelist",
                   "promote_admin": "admin_tier", "demote_admin": "admin_tier"}


def scope(name: str, attr: str) -> str:
    """The managed-key record's scope of one keyed attribute: `vision_records.whitelist`."""
    return attribute(name, attr)


def wasm_pin(ctx: StellarReadContext, name: str, contract: VisionRecordsContract) -> str | None:
    """The pinned wasm sha256: `wasm_sha256`, or the `vision_records.wasm` line of a release
    `SHA256SUMS.txt` (`<64-hex>  ./<name>.wasm`, reference §16), looked up beside the state files first."""
    from pathlib import Path

    from tempoctl.errors import ConfigError

    if contract.wasm_sha256 or not contract.release:
        return contract.wasm_sha256
    candidates = [Path(ctx.env.root) / contract.release, Path(contract.release)]
    path = next((p for p in candidates if p.is_file()), None)
    where = ctx.env.where("contracts", name, "release")
    if path is None:
        raise ConfigError(f"{where}: release file {contract.release} not found",
                          hint="Point `release:` at the SHA256SUMS.txt of the release, or pin `wasm_sha256:`.")
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].lstrip("./").lstrip("*") == "vision_records.wasm":
            return parts[0].lower()
    raise ConfigError(f"{where}: {contract.release} has no line for vision_records.wasm",
                      hint="Each line is `<sha256>  ./<name>.wasm`, as sha256sum writes it.")


def instance(entry: Any) -> tuple[dict[str, Any], dict[Any, Any]]:
    """(what a contract-ID switch is checked against, instance storage) of an instance entry (None: missing
    or archived)."""
    wasm, storage = L.instance_storage(entry.data) if entry is not None else (None, {})
    summary = {"exists": entry is not None, "wasm_sha256": wasm, "initialized": bool(storage.get("INIT", False)),
               "admin": storage.get("ADMIN")}
    return summary, storage


def switch_problems(summary: dict[str, Any], pin: str | None, admin: str | None) -> list[str]:
    """Why a contract may not become the live one (DESIGN §8): the plan refuses on these, and apply checks
    them again at the latest ledger before consumers are repointed."""
    if not summary.get("exists"):
        return ["it does not exist (or its instance is archived)"]
    problems = []
    if pin and summary.get("wasm_sha256") != pin:
        problems.append(f"its wasm hash is {summary.get('wasm_sha256')}, the pin is {pin}")
    if not summary.get("initialized"):
        problems.append("it is not initialised (initialize(admin) was never called)")
    if admin and summary.get("admin") != admin:
        problems.append(f"its admin is {summary.get('admin')}, the declared admin is {admin}")
    return problems


def read(ctx: StellarReadContext, name: str, contract: VisionRecordsContract) -> None:
    cid = contract.contract_id
    pin = wasm_pin(ctx, name, contract)
    ctx.observed.wasm_pins[name] = pin
    tiers = set(contract.admin_tiers) | ctx.record.known(scope(name, "admin_tier"))
    members = set(contract.whitelist.members or []) if contract.whitelist else set()
    members |= ctx.record.known(scope(name, "whitelist"))
    # Addresses that held admin power (S_ADMIN, ADMIN, PEND_ADM, ADM_LIST members) seen by an earlier read:
    # their tier and RBAC role are read in the same request; new ones cost one more request, once.
    privileged = ctx.record.known(scope(name, "privileged")) - {contract.admin or ""}
    tiers |= privileged
    # RBAC roles only of the declared admin and of admins past and present: the handover (plan.py
    # `rbac_changes`, `remains`) looks at no other role, and a ROLE_ASN key per declared tier holder made
    # the read half as long again (N/2 more keys at N items, ~25 more requests at 10,000).
    roles = privileged | ({contract.admin} if contract.admin else set())
    inst = L.instance_key(cid)
    adm_list = L.persistent_key(cid, L.sym("ADM_LIST"))
    tier_keys = {a: L.persistent_key(cid, L.storage_key("ADM_TIER", L.address_val(a))) for a in sorted(tiers)}
    role_keys = {a: _role_key(cid, a) for a in sorted(roles)}
    wl_keys = {a: L.persistent_key(cid, L.storage_key("WL_ADR", L.address_val(a))) for a in sorted(members)}
    # TTL management needs the code entry and the network's limits: read in the same request when the wasm
    # hash is known in advance (a pin), else in a second one once the instance names it (below).
    ttl_managed = contract.min_instance_ttl_ledgers is not None
    extra = [archival.state_archival_key()] if ttl_managed else []
    if pin:
        extra.append(L.code_key(bytes.fromhex(pin)))
    got, _ = ctx.client.entries([inst, adm_list, *tier_keys.values(), *wl_keys.values(), *role_keys.values(),
                                 *extra])
    values = ctx.observed.values
    entry = got.get(inst.to_xdr())
    summary, storage = instance(entry)
    values[attribute(name, "contract_id")] = {"contract_id": cid, **summary, "recorded": ctx.record.cursor(f"contract_id:{name}")}
    if entry is None:
        return
    values[attribute(name, "admin")] = {"admin": storage.get("ADMIN"), "pending": storage.get("PEND_ADM")}
    archived: list[dict[str, str]] = []

    def note_archived(what: str, key: Any, e: Any) -> None:
        if e is not None and archival.is_archived(e.live_until, ctx.ledger):
            archived.append({"what": what, "key": key.to_xdr()})

    note_archived("instance", inst, entry)
    for a, key in tier_keys.items():
        e = got.get(key.to_xdr())
        values[attribute(name, "admin_tier", a)] = TIERS.get(int(L.data_value(e.data))) if e is not None else None
        note_archived(f"ADM_TIER[{a}]", key, e)
    values[attribute(name, "whitelist_enabled")] = bool(storage.get("WL_EN", False))
    for a, key in wl_keys.items():
        e = got.get(key.to_xdr())
        values[attribute(name, "whitelist", a)] = bool(L.data_value(e.data)) if e is not None else False
        note_archived(f"WL_ADR[{a}]", key, e)
    values[attribute(name, "paused", "global")] = bool(storage.get("P_GLOB", False))
    for tag in sorted(set(PAUSE_TAGS) | set(contract.paused.functions if contract.paused else {})):
        values[attribute(name, "paused", tag)] = bool(storage.get(("P_FUNC", tag), False))
    rl = storage.get("RL_IN_CFG")
    values[attribute(name, "rate_limit")] = {"max_requests": int(rl[0]), "window_seconds": int(rl[1])} if rl else None
    values[attribute(name, "instance_ttl")] = archival.ttl_value(entry, ctx.ledger)
    _read_privileges(ctx, name, contract, storage, got, adm_list, tier_keys, role_keys, note_archived)
    live_wasm = summary.get("wasm_sha256")
    if live_wasm and (ttl_managed or archived):
        code = L.code_key(bytes.fromhex(live_wasm))
        missing = [k for k in (code, archival.state_archival_key()) if k.to_xdr() not in got]
        if missing:
            more, _ = ctx.client.entries(missing)
            got.update(more)
        code_entry = got.get(code.to_xdr())
        values[attribute(name, "code_ttl")] = {**archival.ttl_value(code_entry, ctx.ledger), "key": code.to_xdr()}
        note_archived("code", code, code_entry)
        limits = archival.state_archival(got.get(archival.state_archival_key().to_xdr()))
        if limits:
            ctx.observed.stellar_archival[ctx.network] = limits
    discovered = _scan_invocations(ctx, name, cid, _authorisers(ctx, name, contract, storage))
    new_tiers = {a: L.persistent_key(cid, L.storage_key("ADM_TIER", L.address_val(a)))
                 for a in sorted(discovered["admin_tier"] - set(tier_keys))}
    new_members = {a: L.persistent_key(cid, L.storage_key("WL_ADR", L.address_val(a)))
                   for a in sorted(discovered["whitelist"] - set(wl_keys))}
    if new_tiers or new_members:  # keys changed out of band that no earlier read knew: one more request
        more, _ = ctx.client.entries([*new_tiers.values(), *new_members.values()])
        for a, key in new_tiers.items():
            e = more.get(key.to_xdr())
            values[attribute(name, "admin_tier", a)] = TIERS.get(int(L.data_value(e.data))) if e is not None else None
            note_archived(f"ADM_TIER[{a}]", key, e)
        for a, key in new_members.items():
            e = more.get(key.to_xdr())
            values[attribute(name, "whitelist", a)] = bool(L.data_value(e.data)) if e is not None else False
            note_archived(f"WL_ADR[{a}]", key, e)
    values[attribute(name, "archived")] = archived
    ctx.observed.stellar_contracts[name] = {
        "network": ctx.network, "ledger": ctx.ledger, "multisig": "MSIG_CFG" in storage,
    }


def _role_key(cid: str, address: str) -> Any:
    return L.persistent_key(cid, L.storage_key("ROLE_ASN", L.address_val(address)))


def role_assignment(e: Any) -> dict[str, Any] | None:
    """`RoleAssignment{role, custom_grants, custom_revokes, expires_at}` (rbac.rs) as names."""
    if e is None:
        return None
    v = L.data_value(e.data)
    return {"role": ROLES.get(int(v["role"]), str(v["role"])),
            "custom_grants": [PERMISSIONS.get(int(p), str(p)) for p in v.get("custom_grants", ())],
            "custom_revokes": [PERMISSIONS.get(int(p), str(p)) for p in v.get("custom_revokes", ())],
            "expires_at": int(v.get("expires_at", 0))}


def _read_privileges(ctx: StellarReadContext, name: str, contract: VisionRecordsContract, storage: dict[Any, Any],
                     got: dict[str, Any], adm_list: Any, tier_keys: dict[str, Any], role_keys: dict[str, Any],
                     note_archived: Any) -> None:
    """Power a handover leaves behind (reference §2.4): `S_ADMIN` (instance, written once by `initialize`),
    `ADM_LIST` (persistent, `admin_tiers::track_admin`), and the `ADM_TIER` / `ROLE_ASN` entries of every
    address that is or was admin. `accept_admin` moves none of them."""
    cid = contract.contract_id
    values = ctx.observed.values
    lst = got.get(adm_list.to_xdr())
    listed = [a for a in (L.data_value(lst.data) if lst is not None else ()) if isinstance(a, str)]
    note_archived("ADM_LIST", adm_list, lst)
    values[attribute(name, "super_admin")] = storage.get("S_ADMIN")
    values[attribute(name, "admin_list")] = listed
    admins = {a for a in (storage.get("S_ADMIN"), storage.get("ADMIN"), storage.get("PEND_ADM")) if isinstance(a, str)}
    # ADM_LIST holds every promoted address (`track_admin`): a declared tier holder in it is read already and
    # its role is not needed; an undeclared one is a former admin, read and remembered like S_ADMIN.
    listed_new = {a for a in listed if isinstance(a, str)} - set(tier_keys) - set(role_keys)
    new = sorted((admins - set(role_keys)) | listed_new)
    if new:
        more_tiers = {a: L.persistent_key(cid, L.storage_key("ADM_TIER", L.address_val(a)))
                      for a in new if a != contract.admin and a not in tier_keys}
        more_roles = {a: _role_key(cid, a) for a in new}
        more, _ = ctx.client.entries([*more_tiers.values(), *more_roles.values()])
        got.update(more)
        tier_keys.update(more_tiers)
        role_keys.update(more_roles)
        for a, key in more_tiers.items():
            e = got.get(key.to_xdr())
            values[attribute(name, "admin_tier", a)] = TIERS.get(int(L.data_value(e.data))) if e is not None else None
            note_archived(f"ADM_TIER[{a}]", key, e)
        remember = set(new) - {contract.admin or ""}
        if remember:
            try:
                ctx.record.save(scopes={scope(name, "privileged"): remember})
            except BackendError as exc:  # read-only credentials: read again next time, nothing is lost
                why = (exc.detail or exc.summary).strip().splitlines()[0]
                ctx.observed.notes.append(
                    f"{name}: former admins not recorded in the backend ({why}); they are found again next time")
    for a, key in role_keys.items():
        e = got.get(key.to_xdr())
        values[attribute(name, "rbac_role", a)] = role_assignment(e)
        note_archived(f"ROLE_ASN[{a}]", key, e)


def _authorisers(ctx: StellarReadContext, name: str, contract: VisionRecordsContract,
                 storage: dict[Any, Any]) -> list[str]:
    """Accounts that can change tiers or the whitelist, or once could: the declared and live admin, the
    pending one, `S_ADMIN`, `ADM_LIST`, tier holders of ContractAdmin and above (OperatorAdmin can only pause,
    which lives in the instance entry read every time), and the declared signers of this network."""
    values = ctx.observed.values
    out = {contract.admin, storage.get("ADMIN"), storage.get("PEND_ADM"), storage.get("S_ADMIN"),
           *(values.get(attribute(name, "admin_list")) or [])}
    out |= {a for k, a in keyed(values, name, "admin_tier") if values[k] in ("ContractAdmin", "SuperAdmin")}
    out |= {s.address for s in ctx.env.state.signers.values() if getattr(s, "network", None) == ctx.network}
    return sorted(a for a in out if isinstance(a, str) and a.startswith("G"))


def _scan_invocations(ctx: StellarReadContext, name: str, cid: str, authorisers: list[str]) -> dict[str, set[str]]:
    """Keys touched by invocations of `cid` since the last scan, found through the transactions the
    authorisers paid for (`scan`: its cost follows their activity, not the network's traffic).

    The scan cursor and discovered keys are the tool's own bookkeeping, saved at once so that a scheduled
    `drift` keeps up with the retention window even when nobody applies."""
    from tempoctl.profiles.vision_records import scan as S

    found: dict[str, set[str]] = {"whitelist": set(), "admin_tier": set()}
    cursor_name = f"scan:{name}"
    last = ctx.record.cursor(cursor_name)
    start = int(last) + 1 if last else 1
    if start > ctx.ledger + 1:  # the network was reset below our cursor (a local or test network): rescan
        start = 1
    notes = ctx.observed.notes
    who = ", ".join(a[:4] + "…" + a[-4:] for a in authorisers[:6]) + (" …" if len(authorisers) > 6 else "")
    try:
        oldest = ctx.client.oldest_ledger()
        if last and start < oldest:
            notes.append(f"{name}: ledgers {start}–{oldest - 1} are past the RPC's retention window and were not "
                         "scanned for out-of-band changes; run drift more often than the window (whitelist "
                         f"members or tiers set there by {who} are missed unless tempoctl already reads them)")
        first = min(max(start, oldest), ctx.ledger)
        win = S.fee_paid_transactions(ctx.client, ctx.passphrase, authorisers, first, ctx.ledger, oldest)
        notes += [f"{name}: {n}" for n in win.notes]
        scanned_to = ctx.ledger
        todo = win.hashes
        if len(todo) > S.MAX_TX_LOOKUPS:
            stop = todo[S.MAX_TX_LOOKUPS][0]
            todo = [t for t in todo if t[0] < stop]
            scanned_to = stop - 1
            notes.append(f"{name}: the out-of-band scan window was exceeded: {len(win.hashes)} transactions of "
                         f"{who} since ledger {first}, at most {S.MAX_TX_LOOKUPS} are read per run; ledgers "
                         f"{stop}–{ctx.ledger} were not scanned, so whitelist members or tiers changed there are "
                         "not in this plan; the next run continues from there")
        for _, tx_hash in todo:
            tx = ctx.client._rpc("getTransaction", ctx.client.server.get_transaction, tx_hash)
            for fn, target in S.invocations(tx.envelope_xdr or "", tx.status, cid):
                kind = KEYED_FUNCTIONS.get(fn)
                if kind and target:
                    found[kind].add(target)
    except Exception:  # noqa: BLE001 - method unsupported by this RPC: reads cover managed keys only
        notes.append(f"{name}: could not scan recent invocations; keys changed out of band are only seen if "
                     "tempoctl managed them before")
        return found
    latest = scanned_to
    scopes = {scope(name, k): v for k, v in found.items() if v}
    try:
        ctx.record.save(scopes=scopes, cursors={cursor_name: str(latest)})
    except BackendError as exc:
        # A PR's plan job may hold read-only credentials: what was read still makes this plan, and leaving
        # the cursor where it was makes the next drift or apply scan these ledgers again, so nothing is lost.
        why = (exc.detail or exc.summary).strip().splitlines()[0]
        notes.append(f"{name}: scan progress not recorded in the backend ({why}); the next drift or apply "
                     f"scans ledgers {start}–{latest} again")
    return found
