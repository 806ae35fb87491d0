"""`tempoctl validate` checks of a `teye/vision-records` block beyond its schema."""

from __future__ import annotations

from typing import Any

from tempoctl.desired.hostpaths import descriptor_error
from tempoctl.profiles.folder import Validator
from tempoctl.profiles.vision_records.model import VisionRecordsContract


def check(v: Validator, path: tuple[Any, ...], c: Any) -> None:
    """One wasm pin at most; consumers name declared hosts, paths inside their roots, valid keys and units."""
    if not isinstance(c, VisionRecordsContract):
        return
    if c.wasm_sha256 is not None and c.release is not None:
        v.err(
            (*path, "release"), "give at most one of `wasm_sha256` and `release` (both pin the wasm)"
        )
    for i, consumer in enumerate(c.consumers):
        cpath = (*path, "consumers", i)
        v.ref((*cpath, "host"), consumer.host, "hosts", "host")
        v.host_path((*cpath, "env_file"), consumer.host, consumer.env_file)
        v.env_key((*cpath, "variable"), consumer.variable)
        for j, unit in enumerate(consumer.restart):
            v.unit((*cpath, "restart", j), unit)
    if c.descriptor is not None:
        problem = descriptor_error(c.descriptor)
        if problem:
            v.err((*path, "descriptor"), problem)
