"""`plan --fork`: run a plan on local anvil forks (node: the fork process; execute/safe: steps as their signers; after: the re-plan on the fork; run: the whole)."""
