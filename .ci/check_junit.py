"""Fail unless the JUnit report shows PostgreSQL tests that ran and none that were skipped."""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET

cases = ET.parse(sys.argv[1]).getroot().iter("testcase")
postgres = [case for case in cases if "postgresql" in case.get("name", "")]
skipped = [case.get("name") for case in postgres if case.find("skipped") is not None]
if not postgres:
    sys.exit("no PostgreSQL test ran")
if skipped:
    sys.exit(f"{len(skipped)} PostgreSQL tests were skipped, e.g. {skipped[:3]}")
print(f"PostgreSQL tests ran for real: {len(postgres)}, none skipped")
