"""Observed state: what the chains and hosts report now. Importing this package never imports web3."""
