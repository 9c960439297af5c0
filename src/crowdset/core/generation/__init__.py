"""Generation campaigns (SPEC §2): spec, task planning, automatic checks, slot annotation."""
