"""The `oracle` block, chain side: the oracle signer's fee-token balance.

Tempo has no native gas token (reference §19): the oracle key pays fees in pathUSD, so a new oracle must be
funded before it is granted ORACLE (fund → grant). Membership of ORACLE itself is planned by the
access-control profile of `oracle.contract` (exactly {oracle.address}); this plug-in plans the top-up
transfer from `top_up_from` when `balanceOf(oracle)` is below `min_fee_balance`.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from tempoctl.core.addrs import attribute
from tempoctl.desired import DesiredEnvironment
from tempoctl.desired.models import EvmNetwork, Oracle
from tempoctl.plan.model import Action, Change
from tempoctl.profiles.base import Call, ObserveContext, ObserveGen, PlanContext, PlanItem


def fee_token(env: DesiredEnvironment, oracle: Oracle) -> str | None:
    state = env.state
    contract = state.contracts.get(oracle.contract)
    network = state.networks.get(contract.network) if contract is not None else None
    return network.fee_token if isinstance(network, EvmNetwork) else None


class OracleProfile:
    name = "oracle"

    def observe(self, ctx: ObserveContext, name: str, oracle: Oracle) -> ObserveGen:
        token = fee_token(ctx.env, oracle)
        if token is None or oracle.min_fee_balance is None:
            return
        res = yield [Call(token, "balanceOf(address)(uint256)", (oracle.address,)), Call(token, "decimals()(uint8)")]
        if res[0].ok and res[1].ok:
            ctx.observed.values[attribute("oracle", "fee_balance", oracle.address)] = int(res[0].value)
            ctx.observed.fee_token_decimals = int(res[1].value)
        else:
            ctx.observed.error(("networks",), f"fee token {token}: balanceOf/decimals failed; is `fee_token` a TIP-20/ERC-20?")

    def plan(self, ctx: PlanContext, name: str, oracle: Oracle) -> Iterable[PlanItem]:
        key = attribute("oracle", "fee_balance", oracle.address)
        token = fee_token(ctx.env, oracle)
        if key not in ctx.observed.values or token is None or oracle.min_fee_balance is None:
            return
        decimals = 6 if ctx.observed.fee_token_decimals is None else ctx.observed.fee_token_decimals
        minimum = int(Decimal(oracle.min_fee_balance) * (10**decimals))
        have = int(ctx.observed.values[key])
        if have >= minimum:
            return
        amount = minimum - have
        human = f"{Decimal(amount) / (10**decimals)}"
        yield Change(
            address=key, action=Action.UPDATE,
            before=f"{Decimal(have) / (10**decimals)}", after=f">= {oracle.min_fee_balance}",
            reason=ctx.env.where("oracle", "min_fee_balance"),
            steps=[ctx.step("oracle", token, "transfer(address,uint256)", (oracle.address, amount), oracle.top_up_from,
                            f"transfer({oracle.address}, {amount})  # {human} fee-token units")],
            note="Tempo has no native gas token: the oracle pays fees in the network's fee token",
        )


class OraclePlanner:
    """The `oracle` block is environment-wide: it plans only when declared."""

    name = "oracle"

    def __init__(self, profile: OracleProfile) -> None:
        self.profile = profile

    def plan(self, ctx: PlanContext) -> Iterable[PlanItem]:
        oracle = ctx.env.state.oracle
        return self.profile.plan(ctx, "oracle", oracle) if oracle is not None else ()
