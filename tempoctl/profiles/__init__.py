"""Profiles: one plug-in per kind of contract, and the planners of what is not one contract.

The registry is `tempoctl.profiles.registry` (built-in profiles and environment planners) and
`tempoctl.profiles.catalog` (profile folders: one line each). This package itself imports nothing: the state
models import the catalog's contract models, so loading `tempoctl.profiles` must not load every plug-in.
"""
