"""The attackers of the mechanism dry-run (``crowdset sim attack``, SPEC §6.9): the strategies,
the crowd's accounts, one module per workflow, and the report's arithmetic.

The use case itself is :func:`crowdset.sim.attack.run_attack`.
"""
