"""Plan a vision_records deployment from the values `read` recorded: pure, no chain access.

Code facts that shape it (reference teye-interface §2, §4–§9):
* admin handover is two steps, `propose_admin` by the current admin and `accept_admin` signed by the new
  one; it moves no tier, so it runs after every other change of the contract (the old admin still signs);
* `demote_admin` does not clear a tier: removing a tier is planned as a downgrade to OperatorAdmin plus
  `demote_admin` (untrack), and the residual OperatorAdmin (which can still pause) is said out loud;
* a rate limit cannot be unset once set, so asking for that is refused;
* the instance TTL is extended with an ExtendFootprintTTL operation when it falls below the minimum, together
  with the contract's wasm code entry (the operation extends exactly its footprint), up to the network's
  maximum read from its ConfigSetting entry;
* an archived instance, code or data entry the plan depends on is restored (RestoreFootprint) before anything
  else: invocations touching it fail and extending it does nothing until then (`archival`).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from tempoctl.core.addrs import attribute, keyed
from tempoctl.core.steps import SorobanTx, SorobanVerify
from tempoctl.desired.base import StellarNetwork
from tempoctl.diff.steps import soroban_step
from tempoctl.errors import SafetyError
from tempoctl.observed.stellar import args as A
from tempoctl.observed.stellar.ledger import instance_key
from tempoctl.plan.model import Action, Change, DriftItem, Step
from tempoctl.profiles.base import PlanContext, PlanItem
from tempoctl.profiles.vision_records.archival import FALLBACK_MAX_ENTRY_TTL
from tempoctl.profiles.vision_records.model import VisionRecordsContract
from tempoctl.profiles.vision_records.read import TIER_RANK, scope, switch_problems

MAX_ENTRY_TTL = FALLBACK_MAX_ENTRY_TTL  # only when the network's ConfigSetting was not read


class _Planner:
    def __init__(self, ctx: PlanContext, name: str, c: VisionRecordsContract) -> None:
        self.ctx, self.name, self.c = ctx, name, c
        self.values = ctx.observed.values
        net = ctx.env.state.networks[c.network]
        assert isinstance(net, StellarNetwork)
        self.passphrase = net.passphrase
        live_admin = (self.values.get(attribute(name, "admin")) or {}).get("admin")
        self.caller, self.caller_address = self._signer(c.signer, live_admin)

    def _signer(self, declared: str | None, address: str | None) -> tuple[str | None, str | None]:
        """The declared `signer:`, else the declared Stellar signer whose address is `address`."""
        signers = self.ctx.env.state.signers
        if declared:
            return declared, signers[declared].address
        for sname, s in signers.items():
            if s.network == self.c.network and s.address == address:
                return sname, s.address
        return None, address

    def where(self, *path: str | int) -> str:
        return self.ctx.env.where("contracts", self.name, *path)

    def step(self, function: str, args: list[dict[str, Any]], *, signer: tuple[str | None, str | None] | None = None,
             record: str | None = None, key: str | None = None) -> Step:
        sname, source = signer or (self.caller, self.caller_address)
        rec = {"scope": scope(self.name, record), "key": key} if record and key else None
        return soroban_step(self.c.network, self.passphrase, self.c.contract_id, function, args, sname, source,
                            record=rec)

    def me(self) -> dict[str, Any]:
        return A.address(self.caller_address or "")

    # --- what to plan ------------------------------------------------------------------------------
    def plan(self) -> Iterator[PlanItem]:
        cid = self.values.get(attribute(self.name, "contract_id")) or {}
        yield from self.contract_id(cid)
        if not cid.get("exists"):
            return
        yield from self.restore()
        yield from self.tiers()
        yield from self.whitelist()
        yield from self.paused()
        yield from self.rate_limit()
        yield from self.ttl()
        yield from self.admin()
        yield from self.former_admins()

    def contract_id(self, cid: dict[str, Any]) -> Iterator[PlanItem]:
        recorded, live = cid.get("recorded"), self.c.contract_id
        pin = self.ctx.observed.wasm_pins.get(self.name)
        problems = switch_problems(cid, pin, self.c.admin)
        changing = recorded is not None and recorded != live
        if problems and (changing or not cid.get("exists")):
            raise SafetyError(
                f"{self.where('contract_id')}: refusing to switch {self.name} to {live}",
                detail="\n".join(f"  - {p}" for p in problems),
                hint="A contract-ID change must point at an initialised contract whose wasm hash matches the pin "
                     "and whose admin is the declared admin.")
        if pin and cid.get("exists") and cid.get("wasm_sha256") != pin:
            yield DriftItem(address=attribute(self.name, "wasm_sha256"), kind="wasm_pin", expected=pin,
                            actual=cid.get("wasm_sha256"),
                            message=f"the live wasm of {live} differs from the pin ({self.where('wasm_sha256')}); "
                                    "a new version is a new contract ID")
        if changing:
            verify = SorobanVerify(network=self.c.network, contract=live, name=self.name, wasm_sha256=pin,
                                   admin=self.c.admin)
            step = Step(kind=SorobanVerify.KIND, display=f"verify {A.short(live)}: exists, wasm pin, initialised, admin",
                        fields=verify.to_fields())
            yield Change(address=attribute(self.name, "contract_id"), action=Action.UPDATE, before=recorded, after=live,
                         reason=self.where("contract_id"), steps=[step],
                         note="upgrade by indirection: consumers are repointed after this verification")

    def tiers(self) -> Iterator[PlanItem]:
        if "admin_tiers" not in self.c.model_fields_set:
            return
        for key, addr in keyed(self.values, self.name, "admin_tier"):
            live, want = self.values[key], self.c.admin_tiers.get(addr)
            if want is not None and live != want:
                yield Change(address=key, action=Action.CREATE if live is None else Action.UPDATE, before=live,
                             after=want, reason=self.where("admin_tiers", addr),
                             steps=[self.step("promote_admin", [self.me(), A.address(addr), A.u32(TIER_RANK[want])],
                                              record="admin_tier", key=addr)])
            elif want is None and live is not None and live != "OperatorAdmin":
                yield Change(address=key, action=Action.UPDATE, before=live, after="OperatorAdmin",
                             reason="not declared",
                             steps=[self.step("promote_admin", [self.me(), A.address(addr), A.u32(1)]),
                                    self.step("demote_admin", [self.me(), A.address(addr)])],
                             note="demote_admin does not clear a tier: the address keeps OperatorAdmin "
                                  "(it can still pause and resume the contract)")

    def whitelist(self) -> Iterator[PlanItem]:
        wl = self.c.whitelist
        if wl is None:
            return
        if wl.enabled is not None and self.values.get(attribute(self.name, "whitelist_enabled")) != wl.enabled:
            yield Change(address=attribute(self.name, "whitelist_enabled"), action=Action.UPDATE,
                         before=self.values.get(attribute(self.name, "whitelist_enabled")), after=wl.enabled,
                         reason=self.where("whitelist", "enabled"),
                         steps=[self.step("set_whitelist_enabled", [self.me(), A.boolean(wl.enabled)])])
        if wl.members is None:
            return
        want = set(wl.members)
        for key, addr in keyed(self.values, self.name, "whitelist"):
            live = bool(self.values[key])
            if addr in want and not live:
                yield Change(address=key, action=Action.CREATE, before=False, after=True,
                             reason=self.where("whitelist", "members", wl.members.index(addr)),
                             steps=[self.step("add_to_whitelist", [self.me(), A.address(addr)],
                                              record="whitelist", key=addr)])
            elif addr not in want and live:
                yield Change(address=key, action=Action.DELETE, before=True, after=False, reason="not declared",
                             steps=[self.step("remove_from_whitelist", [self.me(), A.address(addr)])])

    def paused(self) -> Iterator[PlanItem]:
        p = self.c.paused
        if p is None:
            return
        wanted: list[tuple[str, bool, dict[str, Any], tuple[str, ...]]] = []
        if p.global_ is not None:
            wanted.append(("global", p.global_, A.vec(A.symbol("Global")), ("paused", "global")))
        for tag, flag in sorted(p.functions.items()):
            wanted.append((tag, flag, A.vec(A.symbol("Function"), A.symbol(tag)), ("paused", "functions", tag)))
        for tag, flag, scope_arg, path in wanted:
            key = attribute(self.name, "paused", tag)
            live = bool(self.values.get(key, False))
            if live != flag:
                fn = "pause_contract" if flag else "resume_contract"
                yield Change(address=key, action=Action.UPDATE, before=live, after=flag, reason=self.where(*path),
                             steps=[self.step(fn, [self.me(), scope_arg])])

    def rate_limit(self) -> Iterator[PlanItem]:
        key = attribute(self.name, "rate_limit")
        live = self.values.get(key)
        if "rate_limit" in self.c.model_fields_set and self.c.rate_limit is None:
            if live is not None:
                raise SafetyError(f"{self.where('rate_limit')}: the rate limit of {self.name} cannot be unset",
                                  detail="vision_records has no way to switch a rate limit off once set "
                                         "(set_rate_limit_config only changes it).",
                                  hint="Declare the limit that should apply instead, or remove the `rate_limit` key "
                                       "to stop managing it.")
            return
        rl = self.c.rate_limit
        if rl is None:
            return
        want = {"max_requests": rl.max_requests, "window_seconds": rl.window_seconds}
        if live != want:
            note = "cannot be unset once set; about 10 changes per hour per caller are accepted"
            if self.ctx.observed.stellar_contracts.get(self.name, {}).get("multisig"):
                note = "multisig is configured on this contract: set_rate_limit_config will fail (reference §9)"
            yield Change(address=key, action=Action.CREATE if live is None else Action.UPDATE, before=live, after=want,
                         reason=self.where("rate_limit"), note=note,
                         steps=[self.step("set_rate_limit_config", [self.me(), A.u64(rl.max_requests),
                                                                    A.u64(rl.window_seconds), A.u64(0)])])

    def footprint_step(self, function: str, keys: list[str], display: str, **extra: Any) -> Step:
        """A RestoreFootprint or ExtendFootprintTTL step over explicit ledger keys (base64 XDR). Both are the
        `soroban_extend_ttl` kind: sent, journalled and settled like any footprint-TTL transaction."""
        tx = SorobanTx(network=self.c.network, passphrase=self.passphrase, contract=self.c.contract_id,
                       function=function, args=[], source=self.caller_address, keys=keys, extra=extra)
        return Step(kind="soroban_extend_ttl", display=display, signer=self.caller, fields=tx.to_fields())

    def restore(self) -> Iterator[PlanItem]:
        archived = self.values.get(attribute(self.name, "archived")) or []
        if not archived:
            return
        what = [a["what"] for a in archived]
        step = self.footprint_step("RestoreFootprint", [a["key"] for a in archived],
                                   f"RestoreFootprint({_short_keys(what)})")
        yield Change(address=attribute(self.name, "archived"), action=Action.UPDATE, before={"archived": what},
                     after={"archived": []}, reason="archived entries the plan depends on", steps=[step],
                     note="archived: invocations touching these entries fail and extending them does nothing until "
                          "they are restored; a restored entry lives the network's minimum persistent TTL")

    def ttl(self) -> Iterator[PlanItem]:
        minimum = self.c.min_instance_ttl_ledgers
        live = self.values.get(attribute(self.name, "instance_ttl")) or {}
        code = self.values.get(attribute(self.name, "code_ttl")) or {}
        ledger = self.ctx.observed.stellar_ledgers.get(self.c.network)
        if minimum is None or live.get("live_until") is None or ledger is None:
            return
        limits = self.ctx.observed.stellar_archival.get(self.c.network) or {}
        max_ttl = int(limits.get("max_entry_ttl") or MAX_ENTRY_TTL)
        archived = {a["what"] for a in self.values.get(attribute(self.name, "archived")) or []}

        def remaining(v: dict[str, Any], what: str) -> int:
            # a restored entry lives the minimum persistent TTL from the restore on
            if what in archived:
                return int(limits.get("min_persistent_ttl") or 0) - 1
            return int(v["live_until"]) - int(ledger)

        left = remaining(live, "instance")
        keys = [instance_key(self.c.contract_id).to_xdr()]
        if code.get("live_until") is not None:
            left = min(left, remaining(code, "code"))
            keys.append(code["key"])
        if left >= minimum:
            return
        extend_to = min(2 * minimum, max_ttl - 1)
        labels = ["instance", "code"][:len(keys)]
        for a in self.values.get(attribute(self.name, "archived")) or []:
            if a["key"] not in keys:  # restored data entries get the same TTL
                keys.append(a["key"])
                labels.append(a["what"])
        label = _short_keys(labels)
        step = self.footprint_step("ExtendFootprintTTL", keys, f"ExtendFootprintTTL({label}, extend_to={extend_to:,})",
                                   extend_to=extend_to)
        # Shown in absolute ledgers: a count of remaining ledgers changes with every ledger (~5 s), so a plan
        # rebuilt at apply time would never equal the approved one. An archived entry lives until ledger 0.
        until = min(int(live["live_until"]), int(code["live_until"]) if code.get("live_until") is not None
                    else int(live["live_until"]))
        yield Change(address=attribute(self.name, "instance_ttl"), action=Action.UPDATE,
                     before={"live_until_ledger": until}, after={"extend_to_ledgers": extend_to},
                     reason=self.where("min_instance_ttl_ledgers"), steps=[step],
                     note=f"the instance/code live until ledger {until:,}, fewer than the minimum {minimum:,} "
                          f"ledgers ahead (network maximum {max_ttl:,})")

    def former_admins(self) -> Iterator[PlanItem]:
        """The RBAC `Role::Admin` of an address that is no longer the declared admin (the live admin being
        replaced, or the initializer named by `S_ADMIN`) is removed with `register_user(addr, addr,
        Role::None, name)`, signed by that address: vision_records has no revoke_role entry point, and
        register_user overwrites the assignment (rbac.rs `assign_role`); the address's own Admin role gives it
        the ManageUsers this needs. Everything else that stays is said in the change's note (or a plan note)."""
        want = self.c.admin
        if want is None:
            return
        live = (self.values.get(attribute(self.name, "admin")) or {}).get("admin")
        sa = self.values.get(attribute(self.name, "super_admin"))
        former = [a for a in dict.fromkeys((live, sa)) if a and a != want]
        holders = [a for a in former if (self.values.get(attribute(self.name, "rbac_role", a)) or {}).get("role") == "Admin"]
        blocked = {a: why for a in holders if (why := self.register_blocked(a))}
        for addr, why in blocked.items():
            remains = [(f"keeps RBAC role Admin (SystemAdmin, ManageUsers): register_user, the contract's only "
                       f"role setter, would be refused ({why})"), *self.remains(addr, removing_role=True)]
            self.ctx.observed.notes.append(
                f"{self.name}: former admin {addr} {'; '.join(remains)}")
        holders = [a for a in holders if a not in blocked]
        granted: list[str] = []
        if holders and attribute(self.name, "rbac_role", want) in self.values \
                and self.values.get(attribute(self.name, "rbac_role", want)) is None:
            # initialize gives the admin RBAC Role::Admin; a handover does not. Without it nobody may hold
            # ManageUsers once the old admin's role goes (reference §4, handover sequence step 2).
            granted.append(attribute(self.name, "rbac_role", want))
            yield Change(address=granted[0], action=Action.CREATE, before=None, after="Admin",
                         reason=self.where("admin"),
                         steps=[self.step("register_user", [A.address(holders[0]), A.address(want), A.u32(5),
                                                            A.string(ADMIN_ROLE_NAME)],
                                          signer=self._signer(None, holders[0]))],
                         note="the RBAC Admin role follows the admin, as initialize gives it (a handover does not); "
                              "register_user is the contract's only role setter and needs REG_USR unpaused")
        for addr in former:
            if addr in blocked:
                continue
            ra = self.values.get(attribute(self.name, "rbac_role", addr))
            remains = self.remains(addr, removing_role=bool(ra and ra["role"] == "Admin"))
            if not (ra and ra["role"] == "Admin" and _active(ra)):
                if remains:
                    self.ctx.observed.notes.append(
                        f"{self.name}: former admin {addr} {'; '.join(remains)}")
                continue
            note = ("register_user with Role::None is the contract's only way to change a role (there is no "
                    "revoke_role); it also rewrites the address's user record (name, registered_at), and needs "
                    "REG_USR unpaused and, with the whitelist on, the address whitelisted. ")
            note += f"After it, {addr} " + ("; ".join(remains) if remains else "holds no admin power")
            yield Change(address=attribute(self.name, "rbac_role", addr), action=Action.UPDATE, before="Admin",
                         after="None", reason=f"{A.short(addr)} is not the declared admin ({self.where('admin')})",
                         depends_on=list(granted),
                         steps=[self.step("register_user", [A.address(addr), A.address(addr), A.u32(0),
                                                            A.string(REMOVED_ROLE_NAME)],
                                          signer=self._signer(None, addr))],
                         note=note)

    def register_blocked(self, caller: str) -> str | None:
        """Why `register_user` by `caller` would fail (lib.rs `register_user`: `require_not_paused(REG_USR)`,
        then `check_whitelist_access(caller)`), judged on the live state and what this plan declares."""
        v = self.values
        paused = self.c.paused
        if v.get(attribute(self.name, "paused", "global")) or v.get(attribute(self.name, "paused", "REG_USR")) or (
                paused is not None and (paused.global_ or paused.functions.get("REG_USR"))):
            return "REG_USR is paused"
        wl = self.c.whitelist
        on = bool(v.get(attribute(self.name, "whitelist_enabled"))) or bool(wl is not None and wl.enabled)
        listed = bool(v.get(attribute(self.name, "whitelist", caller))) and not (
            wl is not None and wl.members is not None and caller not in wl.members)
        if on and not listed:
            return f"the whitelist is on and {A.short(caller)} is not on it; declare it in whitelist.members"
        return None

    def remains(self, addr: str, *, removing_role: bool) -> list[str]:
        """What `addr` keeps after this plan: tier, S_ADMIN, ADM_LIST, RBAC permissions."""
        out: list[str] = []
        tier = self.values.get(attribute(self.name, "admin_tier", addr))
        managed = "admin_tiers" in self.c.model_fields_set
        if tier and not managed:
            out.append(f"keeps the {tier} tier (declare `admin_tiers` to have tempoctl reduce it to OperatorAdmin, "
                       "the lowest tier the contract can set)")
        elif tier and (managed and self.c.admin_tiers.get(addr) in (None, "OperatorAdmin")):
            out.append("keeps the OperatorAdmin tier (demote_admin cannot clear a tier: it can still pause and "
                       "resume the contract)")
        elif tier:
            out.append(f"keeps the declared {self.c.admin_tiers.get(addr)} tier")
        if self.values.get(attribute(self.name, "super_admin")) == addr:
            out.append("stays named by S_ADMIN (written once by initialize, no entry point changes it; "
                       "vision_records checks tiers, not S_ADMIN)")
        if addr in (self.values.get(attribute(self.name, "admin_list")) or []) and not managed:
            out.append("stays in ADM_LIST")
        ra = self.values.get(attribute(self.name, "rbac_role", addr))
        if ra and not removing_role:
            from tempoctl.profiles.vision_records.read import BASE_PERMISSIONS

            perms = sorted((set(BASE_PERMISSIONS.get(ra["role"], [])) | set(ra["custom_grants"]))
                           - set(ra["custom_revokes"]))
            if perms:
                out.append(f"keeps RBAC role {ra['role']} ({', '.join(perms)})")
        if out:
            out.append("ACL-group permissions (USR_GRPS) are not read")
        return out

    def admin(self) -> Iterator[PlanItem]:
        want = self.c.admin
        live = self.values.get(attribute(self.name, "admin")) or {}
        if want is None:
            return
        key = attribute(self.name, "admin")
        if live.get("admin") == want:
            if live.get("pending"):
                # cancel_admin_transfer checks current_admin.require_auth(): the admin's key signs it, not the
                # contract's default `signer:` (an operator with a tier cannot cancel a handover).
                yield Change(address=key, action=Action.UPDATE, before=live, after={"admin": want, "pending": None},
                             reason=self.where("admin"),
                             note=f"a handover to {A.short(live['pending'])} was proposed outside tempoctl and is not "
                                  "declared; cancelling it",
                             steps=[self.step("cancel_admin_transfer", [A.address(want)],
                                              signer=self._signer(None, want))])
            return
        steps = []
        current = self._signer(None, live.get("admin"))
        if live.get("pending") != want:
            steps.append(self.step("propose_admin", [A.address(live.get("admin") or ""), A.address(want)],
                                   signer=current))
        new = self._signer(None, want)
        steps.append(self.step("accept_admin", [A.address(want)], signer=new))
        keys = sorted({s.signer or f"offline signer {A.short(want)}" for s in steps})
        proposed = live.get("pending") == want
        note = (f"proposed; awaiting accept_admin signed by {keys[0]}" if proposed else
                f"two-step handover, needs keys of: {', '.join(keys)}")
        yield Change(address=key, action=Action.UPDATE, before=live, after={"admin": want, "pending": None},
                     reason=self.where("admin"), steps=steps,
                     note=note + "; the new admin gets no tier or role from it")


REMOVED_ROLE_NAME = "admin role removed by tempoctl"
ADMIN_ROLE_NAME = "contract admin"


def _active(ra: dict[str, Any] | None) -> bool:
    # expiry is a ledger timestamp; the plan has no clock, so an expiring assignment counts as active
    return ra is not None


def _short_keys(labels: list[str]) -> str:
    """`instance, WL_ADR[GB4H…E2YL]`: entry labels with their strkeys shortened, for a one-line display."""
    import re

    return ", ".join(re.sub(r"[GC][A-Z2-7]{55}", lambda m: A.short(m.group()), w) for w in labels)


def plan(ctx: PlanContext, name: str, contract: VisionRecordsContract) -> list[PlanItem]:
    items = list(_Planner(ctx, name, contract).plan())
    changes = [i for i in items if isinstance(i, Change)]
    first = [c.address for c in changes if c.address in (attribute(name, "contract_id"), attribute(name, "archived"))]
    others = [c.address for c in changes if c.address not in (*first, attribute(name, "admin"))]
    for c in changes:
        if c.address == attribute(name, "admin"):
            c.depends_on += first + others
        elif c.address not in first:
            c.depends_on += first
    return items
