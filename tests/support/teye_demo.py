"""Fixed, public demo identities for the Teye part of `state/local` (like anvil's dev keys: never use them
for anything real). Seeds are derived from labels so nothing secret-looking is committed anywhere."""

from __future__ import annotations

import hashlib

from stellar_sdk import Keypair, StrKey

PASSPHRASE = "Standalone Network ; February 2017"
LABELS = ("admin", "operator", "member-1", "member-2", "console-user")


def keypair(label: str) -> Keypair:
    return Keypair.from_raw_ed25519_seed(hashlib.sha256(f"tempoctl demo teye {label}".encode()).digest())


def contract_id() -> str:
    return StrKey.encode_contract(hashlib.sha256(b"tempoctl demo vision_records").digest())


if __name__ == "__main__":
    for label in LABELS:
        print(label, keypair(label).public_key)
    print("contract", contract_id())
