"""crowdset: a self-hosted crowd platform that turns a handful of examples into a validated,
fairly paid training set. See README.md and docs/ for the tour."""

__version__ = "0.1.0"
