"""Peak resident memory of one command, measured so that only the command counts.

Linux folds the memory high-water mark of the process that calls exec into the new
program's ``ru_maxrss`` (and Python's subprocess execs from a vfork of the caller), so a
command started by a large process (a test run that has loaded torch) reports the caller's
peak, not its own. The command is therefore started by a small wrapper Python, whose own
peak is a few MB, and the wrapper reports its child's ``RUSAGE_CHILDREN``.

Run as a script: ``python bench/peak_rss.py REPORT_FILE CMD...`` writes the peak in KiB.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any


def measure(cmd: list[str], **popen: Any) -> tuple[subprocess.CompletedProcess[str], float]:
    """Run `cmd` (keyword arguments as for subprocess.run, text output captured) and return
    the finished process and its peak RSS in MiB."""
    with tempfile.TemporaryDirectory(prefix="peak-rss-") as tmp:
        report = Path(tmp) / "kib"
        done = subprocess.run([sys.executable, __file__, str(report), *cmd],
                              capture_output=True, text=True, **popen)
        kib = int(report.read_text()) if report.exists() else 0
    return done, kib / 1024


def _main(report: str, cmd: list[str]) -> int:
    import resource

    code = subprocess.call(cmd)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    Path(report).write_text(str(peak))
    return code


if __name__ == "__main__":
    # the wrapper stays small: nothing imported beyond the standard library above
    os.environ.pop("PYTHONSTARTUP", None)
    raise SystemExit(_main(sys.argv[1], sys.argv[2:]))
