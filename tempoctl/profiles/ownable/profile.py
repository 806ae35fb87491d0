"""The `ownable` plug-in: read `owner()` and `pendingOwner()`, plan the hand-over.

Reading: `owner()` always; `pendingOwner()` answers only on Ownable2Step, which is how the two are told apart
(no ERC-165 id exists for either). Planning, towards the declared `owner`:

* Ownable2Step: `transferOwnership(new)` signed by the current owner (address `<c>.pending_owner`), then
  `acceptOwnership()` signed by the new owner (`<c>.owner`, after the first). When no declared signer is the
  new owner, the acceptance is reported as drift: the new owner must accept it themselves. A pending
  transfer to someone else while the owner is already right is cancelled (`transferOwnership(0x0)`).
* one-step Ownable: `transferOwnership(new)` takes effect at once, so the new owner must be a declared signer
  (a key or a Safe) on the contract's network; anything else is a refused plan, since a wrong address there
  loses the contract for good.
* `owner: 0x000…000` with `allow_renounce: true`: `renounceOwnership()`; refused without it.

Every step is sent by the declared signer whose address is the live owner (or new owner): `onlyOwner` checks
`msg.sender`, so the contract's `signer:` is not consulted.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tempoctl.core.addrs import attribute
from tempoctl.errors import SafetyError
from tempoctl.plan.model import Action, Change, DriftItem
from tempoctl.profiles.base import Call, EvmFolderProfile, ObserveContext, ObserveGen, PlanContext, PlanItem
from tempoctl.profiles.ownable.model import ZERO_ADDRESS, OwnableContract


def _signer_of(ctx: PlanContext, network: str, address: str) -> str | None:
    """The declared signer (key or Safe) on `network` whose address is `address`."""
    for sname, s in ctx.env.state.signers.items():
        if s.network == network and s.address.lower() == address.lower():
            return str(sname)
    return None


class OwnableProfile(EvmFolderProfile):
    name = "ownable"

    def observe(self, ctx: ObserveContext, name: str, contract: OwnableContract) -> ObserveGen:
        owner, pending = yield [Call(contract.address, "owner()(address)"),
                                Call(contract.address, "pendingOwner()(address)")]
        if not owner.ok:
            ctx.observed.error(("contracts", name, "address"),
                               f"{name} ({contract.address}) has no owner() getter: not an OpenZeppelin Ownable contract")
            return
        ctx.observed.values[attribute(name, "owner")] = str(owner.value)
        if pending.ok:  # Ownable2Step
            ctx.observed.values[attribute(name, "pending_owner")] = str(pending.value)

    def plan(self, ctx: PlanContext, name: str, contract: OwnableContract) -> Iterable[PlanItem]:
        values = ctx.observed.values
        have = values.get(attribute(name, "owner"))
        if not isinstance(have, str):
            return
        want, pending = contract.owner, values.get(attribute(name, "pending_owner"))
        two_step = isinstance(pending, str)
        reason = ctx.env.where("contracts", name, "owner")
        current = _signer_of(ctx, contract.network, have)
        if have.lower() == want.lower():
            if two_step and pending != ZERO_ADDRESS:
                yield Change(address=attribute(name, "pending_owner"), action=Action.UPDATE, before=pending, after=None,
                             reason=reason, note="a transfer to another address is pending: cancelled",
                             steps=[ctx.step(name, contract.address, "transferOwnership(address)", (ZERO_ADDRESS,),
                                             current, f"transferOwnership({ZERO_ADDRESS})")])
            return
        if want == ZERO_ADDRESS:
            if not contract.allow_renounce:
                raise SafetyError(f"refusing to renounce ownership of {name} without `allow_renounce: true`",
                                  detail=f"{reason}: owner is 0x000…000")
            yield Change(address=attribute(name, "owner"), action=Action.UPDATE, before=have, after=want, reason=reason,
                         note="renounceOwnership() is irreversible (allow_renounce: true)",
                         steps=[ctx.step(name, contract.address, "renounceOwnership()", (), current,
                                         "renounceOwnership()")])
            return
        new = _signer_of(ctx, contract.network, want)
        if not two_step:
            if new is None:
                raise SafetyError(
                    f"refusing a one-step ownership transfer of {name} to {want}: no declared signer or Safe "
                    f"on {contract.network} has that address",
                    detail=f"{reason}: transferOwnership() on a one-step Ownable takes effect at once; a wrong "
                           "address loses the contract for good",
                    hint="Declare the new owner under `signers:` (a key or `via: safe`), or use Ownable2Step.")
            yield Change(address=attribute(name, "owner"), action=Action.UPDATE, before=have, after=want, reason=reason,
                         steps=[ctx.step(name, contract.address, "transferOwnership(address)", (want,), current,
                                         f"transferOwnership({want})")])
            return
        yield from self._two_step(ctx, name, contract, have, str(pending), current, new, reason)

    def _two_step(self, ctx: PlanContext, name: str, contract: OwnableContract, have: str, pending: str,
                  current: str | None, new: str | None, reason: str) -> Iterable[PlanItem]:
        want = contract.owner
        after: list[str] = []
        if pending.lower() != want.lower():
            after = [attribute(name, "pending_owner")]
            yield Change(address=attribute(name, "pending_owner"), action=Action.UPDATE,
                         before=None if pending == ZERO_ADDRESS else pending, after=want, reason=reason,
                         steps=[ctx.step(name, contract.address, "transferOwnership(address)", (want,), current,
                                         f"transferOwnership({want})")])
        if new is None:
            yield DriftItem(address=attribute(name, "owner"), kind="awaiting_acceptance", expected=want, actual=have,
                            message=f"{want} must call acceptOwnership() on {name}: no declared signer has "
                                    "that address")
            return
        yield Change(address=attribute(name, "owner"), action=Action.UPDATE, before=have, after=want, reason=reason,
                     steps=[ctx.step(name, contract.address, "acceptOwnership()", (), new, "acceptOwnership()")],
                     depends_on=after)

    def import_undeclared(self, observed: Any, name: str, contract: Any, found: Any) -> None:
        """Nothing to import: the owner is always declared (`owner:` is required)."""
        return
