"""Oracle rotation across chain and host: the fresh-signal wait between the relay's restart and the revoke.

With `oracle.relay`, an oracle change runs: top up the new signer's fee balance (oracle profile) → grant
ORACLE (access-control profile) → write the new key into the relay's env file → restart the relay (hosts
planner) → wait until a signal *signed by the new key* lands for a configured pair (this planner; the step
names the new signer, and apply/wait.py recovers the signer of every new signal, since a relay still running
with the old key advances `oracleLastTimestamp` too) → revoke the old signer. The wait *gates* the revokes:
they depend on it, so a relay that does not sign with the new key stops the apply before the old signer loses
ORACLE (exit 3), and the next plan resumes at the wait.
"""

from __future__ import annotations

from collections.abc import Iterable

from tempoctl.core.addrs import RoleMember, RoleSet, attribute
from tempoctl.core.steps import Wait
from tempoctl.plan.model import Action, Change, DriftItem, Step
from tempoctl.profiles.base import PlanContext, PlanItem
from tempoctl.profiles.risk_controller.model import RiskControllerContract, pair_id

DEFAULT_WITHIN = 300.0  # RiskController's default oracleStalenessThreshold (reference §4.6)
FRESH_SIGNAL = attribute("oracle", "fresh_signal")
"""The wait that gates the old oracle signer's revocation on a signal signed with the new key."""


class OracleRelayPlanner:
    name = "oracle-relay"

    def plan(self, ctx: PlanContext) -> Iterable[PlanItem]:
        oracle = ctx.env.state.oracle
        if oracle is None or oracle.relay is None:
            return
        relay = oracle.relay
        members = ctx.observed.values.get(str(RoleSet(oracle.contract, oracle.role)))
        old = [m for m in (members or []) if m != oracle.address]
        if not old:
            return
        network = ctx.env.state.contracts[oracle.contract].network
        checks = [{"contract": c.address, "pair": pair_id(b), "breaker": f"{name}.{bname}"}
                  for name, c in ctx.env.state.contracts.items()
                  if isinstance(c, RiskControllerContract) and c.network == network
                  for bname, b in c.circuit_breakers.items()]
        if not checks:
            yield DriftItem(FRESH_SIGNAL, "unchecked", "a fresh signal before the old signer is revoked", None,
                            "no circuit-breaker pair is declared on a risk controller, so no fresh signal can be checked")
            return
        within = float(oracle.fresh_signal_within or DEFAULT_WITHIN)
        revokes = [str(RoleMember(oracle.contract, oracle.role, m)) for m in old]
        wait = Wait(network=network, condition="oracle_signal", checks=checks, within=within, signer=oracle.address,
                    gates=revokes)
        step = Step(kind=Wait.KIND, display=f"wait up to {within:g}s for a signal signed by {oracle.address} "
                                            f"({', '.join(c['breaker'] for c in checks)})", fields=wait.to_fields())
        where = ("oracle", "fresh_signal_within") if oracle.fresh_signal_within else ("oracle", "relay")
        yield Change(
            address=FRESH_SIGNAL, action=Action.UPDATE,
            before={"signer": old[0] if len(old) == 1 else old}, after={"signer": oracle.address, "within_s": within},
            reason=ctx.env.where(*where), steps=[step],
            depends_on=[str(RoleMember(oracle.contract, oracle.role, oracle.address)),
                        attribute(relay.host, "env_file", relay.env_file), attribute(relay.host, "service", relay.service)],
            note="the old signer is revoked only after the relay lands a fresh signal with the new key",
        )
