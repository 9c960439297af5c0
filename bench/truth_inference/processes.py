"""Timing a command in its own process, for the end-to-end and start-up benchmarks."""

from __future__ import annotations

import os
import subprocess
import tempfile
import time


def timed(command: list[str], env: dict[str, str] | None = None) -> dict[str, float]:
    """Run ``command`` to its end: its own CPU seconds (user + system), wall seconds and peak
    resident memory, from the kernel's accounting of that one process (``wait4``)."""
    start = time.perf_counter()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        child = subprocess.Popen(command, stdout=out, stderr=err, env=env)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            out.seek(0)
            err.seek(0)
            raise SystemExit(
                f"{' '.join(command)} failed:\n{out.read().decode()}\n{err.read().decode()}"
            )
    cpu = usage.ru_utime + usage.ru_stime
    return {"cpu_s": cpu, "wall_s": wall, "max_rss_mib": usage.ru_maxrss / 1024}
