"""The machine filters of SPEC §4, one concept per module."""
