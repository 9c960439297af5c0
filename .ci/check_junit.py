"""Fail unless the JUnit report shows PostgreSQL tests and browser tests that ran, none skipped.

PostgreSQL tests carry ``postgresql`` in their name (the database parameter); browser tests live
in ``tests/web/test_browser*.py``, so their class name holds ``test_browser``.
"""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET

cases = list(ET.parse(sys.argv[1]).getroot().iter("testcase"))
failures = []
for kind, chosen in (
    ("PostgreSQL", [case for case in cases if "postgresql" in case.get("name", "")]),
    ("browser", [case for case in cases if ".test_browser" in case.get("classname", "")]),
):
    skipped = [case.get("name") for case in chosen if case.find("skipped") is not None]
    if not chosen:
        failures.append(f"no {kind} test ran")
    elif skipped:
        failures.append(f"{len(skipped)} {kind} tests were skipped, e.g. {skipped[:3]}")
    else:
        print(f"{kind} tests ran for real: {len(chosen)}, none skipped")
if failures:
    sys.exit("; ".join(failures))
