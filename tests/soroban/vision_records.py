"""Python model of the admin/config surface of Teye ``vision_records`` (reference teye-interface.md).

Storage keys and encodings follow reference §13: instance keys are ``SCV_SYMBOL`` (or a
``SCV_VEC[SYMBOL, arg]`` tuple for ``[P_FUNC, tag]``) inside the instance entry's storage map;
persistent keys are their own ``ContractData`` entries keyed by ``SCV_VEC[SYMBOL(name), arg]``.
Events follow §14 (topic 0 symbol; data a struct map with sorted symbol keys).
"""

from __future__ import annotations

from collections.abc import Callable

from stellar_sdk import scval
from stellar_sdk import xdr as x

from . import xdr_helpers as h
from .host import ContractError, Host, HostError

# ContractError codes (reference §12)
NOT_INITIALIZED, ALREADY_INITIALIZED, UNAUTHORIZED, USER_NOT_FOUND = 1, 2, 3, 4
INVALID_INPUT, PAUSED, INVALID_ROLE = 6, 8, 17
ERROR_NAMES = {1: "NotInitialized", 2: "AlreadyInitialized", 3: "Unauthorized", 4: "UserNotFound",
               6: "InvalidInput", 8: "Paused", 15: "RateLimitExceeded", 17: "InvalidRole"}

OPERATOR_ADMIN, CONTRACT_ADMIN, SUPER_ADMIN = 1, 2, 3
TIER_NAMES = {1: "OperatorAdmin", 2: "ContractAdmin", 3: "SuperAdmin"}
ROLE_ADMIN = 5
PERM_MANAGE_USERS, PERM_SYSTEM_ADMIN = 4, 5
BASE_PERMISSIONS = {5: {5, 4, 2, 3, 1}, 4: {4, 2, 3, 1}, 3: {4, 2, 3, 1}, 2: {4}, 1: set(), 0: set()}
FUNCTION_TAGS = ("REG_USR", "ADD_REC", "GRT_ACC", "RVK_ACC")

TTL_THRESHOLD = 5_184_000
TTL_EXTEND_TO = 10_368_000
RATE_CFG_WINDOW = 3600  # progressive-auth behaviour window for set_rate_limit_config
RATE_CFG_MAX_CALLS = 10  # the 11th call within the window fails Unauthorized (reference §9)

VOID = x.SCVal(x.SCValType.SCV_VOID)
TRUE = scval.to_bool(True)
FALSE = scval.to_bool(False)


def s(name: str) -> x.SCVal:
    return scval.to_symbol(name)


def k(name: str, *args: x.SCVal) -> x.SCVal:
    return h.tuple_key(name, *args)


def opt(v: x.SCVal | None) -> x.SCVal:
    return VOID if v is None else v


# ---- argument decoding -----------------------------------------------------------------------
def a_addr(v: x.SCVal) -> str:
    if v.type != x.SCValType.SCV_ADDRESS:
        raise HostError("Value", "UnexpectedType", "expected Address")
    return h.scval_address(v)


def a_u32(v: x.SCVal) -> int:
    if v.type != x.SCValType.SCV_U32 or v.u32 is None:
        raise HostError("Value", "UnexpectedType", "expected u32")
    return int(v.u32.uint32)


def a_u64(v: x.SCVal) -> int:
    if v.type != x.SCValType.SCV_U64 or v.u64 is None:
        raise HostError("Value", "UnexpectedType", "expected u64")
    return int(v.u64.uint64)


def a_bool(v: x.SCVal) -> bool:
    if v.type != x.SCValType.SCV_BOOL or v.b is None:
        raise HostError("Value", "UnexpectedType", "expected bool")
    return bool(v.b)


def a_tier(v: x.SCVal) -> int:
    t = a_u32(v)
    if t not in TIER_NAMES:
        raise HostError("Value", "InvalidInput", f"invalid AdminTier {t}")
    return t


def a_scope(v: x.SCVal) -> tuple[str, str | None]:
    """PauseScope: ``[Global]`` or ``[Function, tag]``."""
    try:
        name, data = scval.from_enum(v)
    except Exception as exc:
        raise HostError("Value", "UnexpectedType", "expected PauseScope") from exc
    if name == "Global" and data is None:
        return "Global", None
    if name == "Function" and isinstance(data, x.SCVal) and data.type == x.SCValType.SCV_SYMBOL:
        return "Function", scval.from_symbol(data)
    raise HostError("Value", "UnexpectedType", "expected PauseScope")


class VisionRecords:
    """Stateless: every call reads and writes through the ``Host`` it is given."""

    def __init__(self, host: Host) -> None:
        self.h = host

    # ---- helpers -------------------------------------------------------------------------
    @property
    def now(self) -> int:
        return self.h.timestamp

    def admin(self) -> str | None:
        v = self.h.inst_get(s("ADMIN"))
        return None if v is None else h.scval_address(v)

    def tier(self, who: str) -> int | None:
        """``admin_tiers::get_admin_tier``: a read that extends the entry (common/src/admin_tiers.rs)."""
        key = k("ADM_TIER", h.addr(who))
        v = self.h.pers_get(key)
        if v is not None:
            self.h.pers_extend(key, TTL_THRESHOLD, TTL_EXTEND_TO)
        return None if v is None else a_u32(v)

    def set_tier(self, who: x.SCVal, level: int) -> None:
        """``admin_tiers::set_admin_tier``: set, then extend to the maximum."""
        self.h.pers_set(k("ADM_TIER", who), scval.to_uint32(level))
        self.h.pers_extend(k("ADM_TIER", who), TTL_THRESHOLD, TTL_EXTEND_TO)

    def assign_role(self, who: x.SCVal, role: x.SCVal) -> None:
        """``rbac::assign_role`` (vision_records/src/rbac.rs): overwrites ``("ROLE_ASN", user)`` with no custom
        grants or revokes and ``expires_at`` 0, then extends it to the maximum."""
        key = k("ROLE_ASN", who)
        self.h.pers_set(key, scval.to_struct({
            "role": role, "custom_grants": scval.to_vec([]), "custom_revokes": scval.to_vec([]),
            "expires_at": scval.to_uint64(0)}))
        self.h.pers_extend(key, TTL_THRESHOLD, TTL_EXTEND_TO)

    def violation(self, caller: str, action: str, required: str) -> ContractError:
        data = scval.to_struct({
            "action": scval.to_string(action), "caller": h.addr(caller),
            "required_permission": scval.to_string(required), "timestamp": scval.to_uint64(self.now),
        })
        self.h.emit_rolled_back([s("ACC_VIOL"), h.addr(caller), scval.to_string(action)], data)
        return ContractError(UNAUTHORIZED)

    def require_tier(self, caller: str, min_tier: int, action: str) -> None:
        t = self.tier(caller)
        if t is None or t < min_tier:
            raise self.violation(caller, action, f"admin_tier:{TIER_NAMES[min_tier]}")

    def require_super(self, caller: str, action: str) -> None:
        if caller != self.admin() and (self.tier(caller) or 0) < SUPER_ADMIN:
            raise self.violation(caller, action, "SuperAdmin")

    def adm_list(self) -> list[x.SCVal]:
        v = self.h.pers_get(s("ADM_LIST"))
        return list(scval.from_vec(v)) if v is not None else []

    def has_permission(self, user: str, perm: int) -> bool:
        ra = self.h.pers_get(k("ROLE_ASN", h.addr(user)))
        if ra is not None:
            f = {scval.from_symbol(kk): vv for kk, vv in scval.from_map(ra).items()}
            exp = a_u64(f["expires_at"])
            if exp == 0 or exp > self.now:
                if perm in [a_u32(p) for p in scval.from_vec(f["custom_revokes"])]:
                    return False
                if perm in [a_u32(p) for p in scval.from_vec(f["custom_grants"])]:
                    return True
                if perm in BASE_PERMISSIONS.get(a_u32(f["role"]), set()):
                    return True
        groups = self.h.pers_get(k("USR_GRPS", h.addr(user)))
        for g in scval.from_vec(groups) if groups is not None else []:
            grp = self.h.pers_get(k("ACL_GRP", g))
            if grp is None:
                continue
            perms = {scval.from_symbol(kk): vv for kk, vv in scval.from_map(grp).items()}["permissions"]
            if perm in [a_u32(p) for p in scval.from_vec(perms)]:
                return True
        return False

    def is_paused(self, tag: str) -> bool:
        g = self.h.inst_get(s("P_GLOB"))
        f = self.h.inst_get(k("P_FUNC", s(tag)))
        return bool((g is not None and a_bool(g)) or (f is not None and a_bool(f)))

    def whitelist_ok(self, who: str) -> bool:
        """``whitelist::check_whitelist_access``: ``is_whitelist_enabled`` (extends the instance when enabled)
        then ``is_whitelisted`` (extends the member's entry when present)."""
        en = self.h.inst_get(s("WL_EN"))
        if en is None or not a_bool(en):
            return True
        self.h.inst_extend(TTL_THRESHOLD, TTL_EXTEND_TO)
        key = k("WL_ADR", h.addr(who))
        present = self.h.pers_get(key) is not None
        if present:
            self.h.pers_extend(key, TTL_THRESHOLD, TTL_EXTEND_TO)
        return present

    def touch_instance_if_whitelist(self) -> None:
        en = self.h.inst_get(s("WL_EN"))
        if en is not None and a_bool(en):
            self.h.inst_extend(TTL_THRESHOLD, TTL_EXTEND_TO)

    # ---- lifecycle and admin handover (§4) -------------------------------------------------
    def initialize(self, admin: x.SCVal) -> x.SCVal:
        who = a_addr(admin)
        if self.h.inst_get(s("INIT")) is not None:
            raise ContractError(ALREADY_INITIALIZED)
        self.h.inst_set(s("ADMIN"), admin)
        self.h.inst_set(s("INIT"), TRUE)
        self.assign_role(admin, scval.to_uint32(ROLE_ADMIN))
        self.h.inst_set(s("S_ADMIN"), admin)
        self.set_tier(admin, SUPER_ADMIN)
        self._track(who)
        self.h.emit([s("INIT")], scval.to_struct({"admin": admin, "timestamp": scval.to_uint64(self.now)}))
        return VOID

    def _track(self, who: str) -> None:
        lst = self.adm_list()
        if h.addr(who) not in lst:
            lst.append(h.addr(who))
        self.h.pers_set(s("ADM_LIST"), scval.to_vec(lst))

    def get_admin(self) -> x.SCVal:
        v = self.h.inst_get(s("ADMIN"))
        if v is None:
            raise ContractError(NOT_INITIALIZED)
        return v

    def is_initialized(self) -> x.SCVal:
        return scval.to_bool(self.h.inst_get(s("INIT")) is not None)

    def get_pending_admin(self) -> x.SCVal:
        return opt(self.h.inst_get(s("PEND_ADM")))

    def propose_admin(self, current_admin: x.SCVal, new_admin: x.SCVal) -> x.SCVal:
        cur, _ = a_addr(current_admin), a_addr(new_admin)
        self.h.require_auth(cur)
        admin = self.admin()
        if admin is None:
            raise ContractError(NOT_INITIALIZED)
        if cur != admin:
            raise self.violation(cur, "propose_admin", "current_admin")
        self.h.inst_set(s("PEND_ADM"), new_admin)
        self.h.emit([s("ADM_PROP"), current_admin], scval.to_struct({
            "current_admin": current_admin, "proposed_admin": new_admin, "timestamp": scval.to_uint64(self.now)}))
        return VOID

    def accept_admin(self, new_admin: x.SCVal) -> x.SCVal:
        new = a_addr(new_admin)
        self.h.require_auth(new)
        pending = self.h.inst_get(s("PEND_ADM"))
        if pending is None:
            raise ContractError(INVALID_INPUT)
        if h.scval_address(pending) != new:
            raise self.violation(new, "accept_admin", "pending_admin")
        old = self.get_admin()
        self.h.inst_set(s("ADMIN"), new_admin)
        self.h.inst_del(s("PEND_ADM"))
        self.h.emit([s("ADM_ACPT"), new_admin], scval.to_struct({
            "new_admin": new_admin, "old_admin": old, "timestamp": scval.to_uint64(self.now)}))
        return VOID

    def cancel_admin_transfer(self, current_admin: x.SCVal) -> x.SCVal:
        cur = a_addr(current_admin)
        self.h.require_auth(cur)
        admin = self.admin()
        if admin is None:
            raise ContractError(NOT_INITIALIZED)  # get_admin() fails first, as in propose_admin
        if cur != admin:
            raise self.violation(cur, "cancel_admin_transfer", "current_admin")
        pending = self.h.inst_get(s("PEND_ADM"))
        if pending is None:
            raise ContractError(INVALID_INPUT)
        self.h.inst_del(s("PEND_ADM"))
        self.h.emit([s("ADM_CNCL"), current_admin], scval.to_struct({
            "admin": current_admin, "cancelled_proposed": pending, "timestamp": scval.to_uint64(self.now)}))
        return VOID

    # ---- admin tiers (§5) ------------------------------------------------------------------
    def get_admin_tier(self, admin: x.SCVal) -> x.SCVal:
        a_addr(admin)
        v = self.h.pers_get(k("ADM_TIER", admin))
        if v is not None:
            self.h.pers_extend(k("ADM_TIER", admin), TTL_THRESHOLD, TTL_EXTEND_TO)
        return opt(v)

    def promote_admin(self, caller: x.SCVal, target: x.SCVal, tier: x.SCVal) -> x.SCVal:
        c, t = a_addr(caller), a_addr(target)
        level = a_tier(tier)
        self.h.require_auth(c)
        self.require_super(c, "promote_admin")
        self.set_tier(target, level)
        self._track(t)
        return VOID

    def demote_admin(self, caller: x.SCVal, target: x.SCVal) -> x.SCVal:
        """Known behaviour (§2.5): only rewrites ADM_LIST; the ADM_TIER entry stays."""
        c = a_addr(caller)
        a_addr(target)
        self.h.require_auth(c)
        self.require_super(c, "demote_admin")
        self.h.pers_set(s("ADM_LIST"), scval.to_vec([v for v in self.adm_list() if v != target]))
        return VOID

    # ---- whitelist (§7) --------------------------------------------------------------------
    def set_whitelist_enabled(self, caller: x.SCVal, enabled: x.SCVal) -> x.SCVal:
        c = a_addr(caller)
        a_bool(enabled)
        self.h.require_auth(c)
        self.require_tier(c, CONTRACT_ADMIN, "set_whitelist_enabled")
        self.h.inst_set(s("WL_EN"), enabled)
        # common/src/whitelist.rs set_whitelist_enabled: extend_whitelist_instance_ttl whatever the value
        self.h.inst_extend(TTL_THRESHOLD, TTL_EXTEND_TO)
        return VOID

    def add_to_whitelist(self, caller: x.SCVal, user: x.SCVal) -> x.SCVal:
        c = a_addr(caller)
        a_addr(user)
        self.h.require_auth(c)
        self.require_tier(c, CONTRACT_ADMIN, "add_to_whitelist")
        self.h.pers_set(k("WL_ADR", user), TRUE)
        # common/src/whitelist.rs add_to_whitelist: extends the member entry, not the instance
        self.h.pers_extend(k("WL_ADR", user), TTL_THRESHOLD, TTL_EXTEND_TO)
        return VOID

    def remove_from_whitelist(self, caller: x.SCVal, user: x.SCVal) -> x.SCVal:
        c = a_addr(caller)
        a_addr(user)
        self.h.require_auth(c)
        self.require_tier(c, CONTRACT_ADMIN, "remove_from_whitelist")
        self.h.pers_del(k("WL_ADR", user))  # remove_from_whitelist extends nothing
        return VOID

    def is_whitelist_enabled(self) -> x.SCVal:
        en = self.h.inst_get(s("WL_EN"))
        self.touch_instance_if_whitelist()
        return scval.to_bool(en is not None and a_bool(en))

    def is_whitelisted(self, user: x.SCVal) -> x.SCVal:
        a_addr(user)
        v = self.h.pers_get(k("WL_ADR", user))
        if v is not None:
            self.h.pers_extend(k("WL_ADR", user), TTL_THRESHOLD, TTL_EXTEND_TO)
        return scval.to_bool(v is not None)

    # ---- pause (§8) ------------------------------------------------------------------------
    def _pause(self, caller: x.SCVal, scope: x.SCVal, value: bool, event: str) -> x.SCVal:
        c = a_addr(caller)
        kind, tag = a_scope(scope)
        self.h.require_auth(c)
        if (self.tier(c) or 0) < OPERATOR_ADMIN and not self.has_permission(c, PERM_SYSTEM_ADMIN):
            raise ContractError(UNAUTHORIZED)  # no ACC_VIOL on this path
        key = s("P_GLOB") if kind == "Global" else k("P_FUNC", s(tag or ""))
        self.h.inst_set(key, scval.to_bool(value))
        self.h.emit([s(event)], scval.to_struct({
            "caller": caller, "scope": scope, "timestamp": scval.to_uint64(self.now)}))
        return VOID

    def pause_contract(self, caller: x.SCVal, scope: x.SCVal) -> x.SCVal:
        return self._pause(caller, scope, True, "PAUSE")

    def resume_contract(self, caller: x.SCVal, scope: x.SCVal) -> x.SCVal:
        return self._pause(caller, scope, False, "RESUME")

    # ---- rate limit (§9) -------------------------------------------------------------------
    def set_rate_limit_config(self, caller: x.SCVal, max_req: x.SCVal, window: x.SCVal,
                              proposal_id: x.SCVal) -> x.SCVal:
        c = a_addr(caller)
        mx, win = a_u64(max_req), a_u64(window)
        a_u64(proposal_id)
        self.h.require_auth(c)
        if mx == 0 or win == 0:
            raise ContractError(INVALID_INPUT)
        if self.h.inst_get(s("MSIG_CFG")) is not None:
            raise ContractError(UNAUTHORIZED)  # §9: always fails once multisig is configured
        t = self.tier(c)
        if t is None or t < CONTRACT_ADMIN:
            raise ContractError(UNAUTHORIZED)
        # progressive-auth behaviour score: approximated as a per-caller call history in [SESS, caller]
        sess_key = k("SESS", caller)
        prev = self.h.pers_get(sess_key)
        recent = [a_u64(v) for v in scval.from_vec(prev)] if prev is not None else []
        recent = [ts for ts in recent if ts + RATE_CFG_WINDOW > self.now]
        if len(recent) >= RATE_CFG_MAX_CALLS:
            raise ContractError(UNAUTHORIZED)
        recent.append(self.now)
        self.h.pers_set(sess_key, scval.to_vec([scval.to_uint64(ts) for ts in recent]))
        self.h.inst_set(s("RL_IN_CFG"), scval.to_vec([max_req, window]))
        return VOID

    def get_rate_limit_config(self) -> x.SCVal:
        return opt(self.h.inst_get(s("RL_IN_CFG")))

    # ---- multisig (§10) --------------------------------------------------------------------
    def configure_multisig(self, caller: x.SCVal, signers: x.SCVal, threshold: x.SCVal) -> x.SCVal:
        c = a_addr(caller)
        sig = [a_addr(v) for v in scval.from_vec(signers)]
        th = a_u32(threshold)
        self.h.require_auth(c)
        if c != self.admin():
            raise ContractError(UNAUTHORIZED)
        if th == 0 or th > len(sig):
            raise ContractError(INVALID_INPUT)
        self.h.inst_set(s("MSIG_CFG"), scval.to_struct({"signers": signers, "threshold": threshold}))
        return VOID

    def _signers(self) -> list[str]:
        cfg = self.h.inst_get(s("MSIG_CFG"))
        if cfg is None:
            return []
        f = {scval.from_symbol(kk): vv for kk, vv in scval.from_map(cfg).items()}
        return [h.scval_address(v) for v in scval.from_vec(f["signers"])]

    def get_multisig_config(self) -> x.SCVal:
        return opt(self.h.inst_get(s("MSIG_CFG")))

    def propose_admin_action(self, proposer: x.SCVal, action: x.SCVal, data_hash: x.SCVal) -> x.SCVal:
        p = a_addr(proposer)
        self.h.require_auth(p)
        if p not in self._signers():
            raise ContractError(UNAUTHORIZED)
        ctr = self.h.inst_get(s("MSIG_CTR"))
        pid = (a_u64(ctr) if ctr is not None else 0) + 1
        self.h.inst_set(s("MSIG_CTR"), scval.to_uint64(pid))
        self.h.pers_set(k("MSIG_PR", scval.to_uint64(pid)), scval.to_struct({
            "id": scval.to_uint64(pid), "action": action, "data_hash": data_hash, "proposer": proposer,
            "approvals": scval.to_vec([proposer]), "created_at": scval.to_uint64(self.now),
            "executed": FALSE}))
        return scval.to_uint64(pid)

    def approve_admin_action(self, approver: x.SCVal, proposal_id: x.SCVal) -> x.SCVal:
        a = a_addr(approver)
        self.h.require_auth(a)
        if a not in self._signers():
            raise ContractError(UNAUTHORIZED)
        key = k("MSIG_PR", proposal_id)
        prop = self.h.pers_get(key)
        if prop is None:
            raise ContractError(INVALID_INPUT)
        f = {scval.from_symbol(kk): vv for kk, vv in scval.from_map(prop).items()}
        approvals = list(scval.from_vec(f["approvals"]))
        if approver in approvals or a_bool(f["executed"]):
            raise ContractError(INVALID_INPUT)
        f["approvals"] = scval.to_vec([*approvals, approver])
        self.h.pers_set(key, scval.to_struct(f))
        return VOID

    def get_proposal(self, proposal_id: x.SCVal) -> x.SCVal:
        return opt(self.h.pers_get(k("MSIG_PR", proposal_id)))

    # ---- users and permissions (§6), key manager (§11) ---------------------------------------
    def register_user(self, caller: x.SCVal, user: x.SCVal, role: x.SCVal, name: x.SCVal) -> x.SCVal:
        c = a_addr(caller)
        a_addr(user)
        r = a_u32(role)
        if r not in BASE_PERMISSIONS:
            raise HostError("Value", "InvalidInput", f"invalid Role {r}")
        if self.is_paused("REG_USR"):
            raise ContractError(PAUSED)
        self.h.require_auth(c)
        if not self.whitelist_ok(c):
            raise self.violation(c, "register_user", "whitelisted_caller")
        if not self.has_permission(c, PERM_MANAGE_USERS):
            raise self.violation(c, "register_user", "permission:ManageUsers")
        if name.type != x.SCValType.SCV_STRING or not scval.from_string(name) or len(scval.from_string(name)) > 100:
            raise ContractError(INVALID_INPUT)
        ts = scval.to_uint64(self.now)
        self.h.pers_set(k("USER", user), scval.to_struct({
            "address": user, "role": role, "name": name, "registered_at": ts, "is_active": TRUE}))
        self.h.pers_extend(k("USER", user), TTL_THRESHOLD, TTL_EXTEND_TO)
        self.assign_role(user, role)
        self.h.emit([s("USR_REG"), user], scval.to_struct({"name": name, "role": role, "timestamp": ts, "user": user}))
        return VOID

    def get_user(self, user: x.SCVal) -> x.SCVal:
        a_addr(user)
        v = self.h.pers_get(k("USER", user))
        if v is None:
            raise ContractError(USER_NOT_FOUND)
        return v

    def check_permission(self, user: x.SCVal, permission: x.SCVal) -> x.SCVal:
        return scval.to_bool(self.has_permission(a_addr(user), a_u32(permission)))

    def set_key_manager(self, caller: x.SCVal, manager: x.SCVal, root_key_id: x.SCVal) -> x.SCVal:
        c = a_addr(caller)
        a_addr(manager)
        self.h.require_auth(c)
        self.require_tier(c, CONTRACT_ADMIN, "set_key_manager")
        self.h.inst_set(s("KEY_MGR"), manager)
        self.h.inst_set(s("KEY_MGRK"), root_key_id)
        return VOID


ENTRY_POINTS: dict[str, Callable[..., x.SCVal]] = {
    name: getattr(VisionRecords, name)
    for name in (
        "initialize", "get_admin", "is_initialized", "get_pending_admin", "propose_admin", "accept_admin",
        "cancel_admin_transfer", "get_admin_tier", "promote_admin", "demote_admin", "set_whitelist_enabled",
        "add_to_whitelist", "remove_from_whitelist", "is_whitelist_enabled", "is_whitelisted",
        "pause_contract", "resume_contract", "set_rate_limit_config", "get_rate_limit_config",
        "configure_multisig", "get_multisig_config", "propose_admin_action", "approve_admin_action",
        "get_proposal", "register_user", "get_user", "check_permission", "set_key_manager",
    )
}


def invoke(host: Host, function: str, args: list[x.SCVal]) -> x.SCVal:
    """Run one entry point. Raises ContractError / HostError like the real host would."""
    fn = ENTRY_POINTS.get(function)
    if fn is None:
        raise HostError("WasmVm", "MissingValue", f"trying to invoke non-existent contract function {function}")
    n = fn.__code__.co_argcount - 1
    if len(args) != n:
        raise HostError("WasmVm", "UnexpectedSize", f"{function} takes {n} arguments, got {len(args)}")
    return fn(VisionRecords(host), *args)
