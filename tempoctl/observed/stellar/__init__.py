"""Stellar/Soroban reads through the unmodified stellar-sdk (`SorobanServer`): passphrase check, batched
`getLedgerEntries`, simulation and transaction building. Imported lazily: stellar-sdk costs ~1 s to load."""
