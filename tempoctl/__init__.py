"""tempoctl: a declarative desired-state reconciler for TempoVault (EVM) and Teye (Soroban).

Data flows one way: desired (YAML -> models) -> observed (providers read chains and hosts) -> diff ->
plan (ordered changes, rendered separately) -> apply (executors, journal, lock). Only `tempoctl.cli`
imports click.
"""

__version__ = "0.1.0"
