"""The typed vocabulary every layer shares (Terraform's `addrs` and `tfdiags`): resource addresses and
diagnostics. It imports nothing of tempoctl's, so the engine, the profiles and the CLI can all depend on it."""
