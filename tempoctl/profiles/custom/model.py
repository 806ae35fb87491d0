"""The `custom` contract block: getter/setter pairs by signature."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from tempoctl.desired.base import EvmContract, Model


class CustomSetting(Model):
    """A getter/setter pair: `read` is `name(inputs)(outputs)`, `write` is `name(inputs)`."""

    read: str
    write: str
    key: str | int | bool | None = None
    value: str | int | bool


class CustomContract(EvmContract):
    profile: Literal["custom"]
    settings: dict[str, CustomSetting] = Field(default_factory=dict)
