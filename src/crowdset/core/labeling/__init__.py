"""Labeling campaigns (SPEC §3): the spec and how answers are judged."""
