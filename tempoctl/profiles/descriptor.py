"""Deployment descriptors of Soroban contracts (`<contract>.descriptor`): written when the contract ID changes.

Teye upgrades by indirection: a new version is a new contract ID, and off-chain consumers find it through
the descriptor (`deployments/<network>_<contract>.json`, reference §15.1) and their env files. The order is
new contract verified (`<contract>.contract_id`, planned by the Stellar profile) → descriptor written (the
old one kept as `*_previous.json`) → consumers' env files repointed → consumers restarted. Going back in the
YAML plans the same steps towards the old ID: that is the rollback.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tempoctl.core.addrs import attribute
from tempoctl.core.steps import DescriptorWrite
from tempoctl.desired.models import StellarNetwork
from tempoctl.observed.host.managed import descriptor_contracts
from tempoctl.plan.model import Action, Change, Step
from tempoctl.profiles.base import PlanContext, PlanItem
from tempoctl.profiles.vision_records.model import VisionRecordsContract

# soroban CLI network aliases (reference §15.1), by passphrase.
ALIASES = {
    "Standalone Network ; February 2017": "local",
    "Test SDF Network ; September 2015": "testnet",
    "Test SDF Future Network ; October 2022": "futurenet",
    "Public Global Stellar Network ; September 2015": "mainnet",
}


def descriptor_document(ctx: PlanContext, name: str, c: VisionRecordsContract) -> dict[str, Any]:
    """The descriptor's keys as `deploy.sh` writes them, except `deployed_at`, stamped when it is written."""
    net = ctx.env.state.networks.get(c.network)
    alias = ALIASES.get(net.passphrase, c.network) if isinstance(net, StellarNetwork) else c.network
    return {
        "network": alias,
        "contract": c.profile.split("/")[-1].replace("-", "_"),
        "contract_id": c.contract_id,
        "admin": c.admin or "",
        "wasm_hash": c.wasm_sha256 or "",
        "admin_transferred": c.admin is not None,
    }


def previous_path(path: str) -> str:
    """`deployments/testnet_vision_records.json` → `deployments/testnet_vision_records_previous.json`."""
    return path[:-5] + "_previous.json" if path.endswith(".json") else path + "_previous"


class DescriptorPlanner:
    name = "descriptors"

    def plan(self, ctx: PlanContext) -> Iterable[PlanItem]:
        for name, c in descriptor_contracts(ctx.env).items():
            address = attribute(name, "descriptor")
            if address not in ctx.observed.values:
                continue
            live = ctx.observed.values[address]
            live_id = live.get("contract_id") if isinstance(live, dict) else None
            if live_id == c.contract_id:
                continue
            path = str(c.descriptor)
            doc = descriptor_document(ctx, name, c)
            keep = f" (keeping {live_id} in {previous_path(path)})" if live_id else ""
            write = DescriptorWrite(path=path, previous=previous_path(path), document=doc)
            step = Step(kind=DescriptorWrite.KIND, display=f"write {path}: contract_id {c.contract_id}{keep}",
                        fields=write.to_fields())
            yield Change(
                address=address, action=Action.CREATE if live is None else Action.UPDATE,
                before=None if live is None else {"contract_id": live_id}, after={"contract_id": c.contract_id},
                reason=ctx.env.where("contracts", name, "contract_id"), steps=[step],
                depends_on=[attribute(name, "contract_id")],
                note="consumers are repointed after the descriptor is written",
            )
