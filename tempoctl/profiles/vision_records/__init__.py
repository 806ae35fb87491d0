"""Profile `teye/vision-records`: the Teye core contract on Soroban (reference teye-interface.md).

This package is the light half (schema model and semantic check, loaded by `tempoctl validate`); the plug-in
that reads and plans is `profile.py`, loaded on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tempoctl.profiles.folder import ProfileFolder
from tempoctl.profiles.vision_records.check import check
from tempoctl.profiles.vision_records.model import VisionRecordsContract

if TYPE_CHECKING:
    from tempoctl.profiles.base import StellarFolderProfile


def _plugin() -> StellarFolderProfile:
    from tempoctl.profiles.vision_records.profile import VisionRecordsProfile

    return VisionRecordsProfile()


FOLDER = ProfileFolder(name="teye/vision-records", model=VisionRecordsContract, validate=check,
                       stellar_plugin=_plugin)
