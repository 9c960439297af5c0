"""A simulated crowd (SPEC §5) that works campaigns through the same services as the API.

``crowdset.sim`` is an adapter like the API and the CLI: agents call the service layer, so a
simulation exercises the real offers, checks, votes, ledger and lock rule.
"""

from crowdset.sim.crowd import Crowd, CrowdMix, SimulationReport, run_generation
from crowdset.sim.phrasing import PhrasingPool

__all__ = ["Crowd", "CrowdMix", "PhrasingPool", "SimulationReport", "run_generation"]
