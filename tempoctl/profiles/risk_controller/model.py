"""The `tempovault/risk-controller` contract block, and the pair id of a breaker."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from tempoctl.desired.base import EvmContract, Model
from tempoctl.desired.types import Bytes32, EvmAddress
from tempoctl.eip55 import keccak256


class BreakerSpec(Model):
    """A circuit breaker by name: its pair id given raw (`id`) or as the two tokens of the pair."""

    id: Bytes32 | None = None
    tokens: tuple[EvmAddress, EvmAddress] | None = None
    broken: bool


class RiskParams(Model):
    """All eight fields of `RiskParams`, in raw base units; updateRiskParams sets them together."""

    maxExposurePerPairBps: int = Field(ge=1, le=10000)
    maxTickDeviation: int = Field(ge=1, le=2000)
    maxImbalanceBps: int = Field(ge=1, le=10000)
    maxOrderSize: int = Field(gt=0, lt=2**256)
    minReserveBps: int = Field(ge=0, le=10000)
    oracleStalenessThreshold: int = Field(gt=0, lt=2**32)
    maxSpreadSanityTicks: int = Field(ge=1, le=2000)
    minDepthThreshold: int = Field(ge=0, lt=2**256)


class RiskControllerContract(EvmContract):
    profile: Literal["tempovault/risk-controller"]
    paused: bool | None = None
    circuit_breakers: dict[str, BreakerSpec] = Field(default_factory=dict)
    risk_params: RiskParams | None = None




def pair_id(spec: BreakerSpec) -> str:
    """The breaker's bytes32 key: declared raw, or keccak256(abi.encodePacked(min, max)) of its tokens."""
    if spec.id is not None:
        return spec.id
    assert spec.tokens is not None
    a, b = sorted(spec.tokens, key=lambda t: int(t, 16))
    return "0x" + keccak256(bytes.fromhex(a[2:]) + bytes.fromhex(b[2:])).hex()
