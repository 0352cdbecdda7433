"""Peak resident memory of one command, measured so that only the command counts.

Linux folds the memory high-water mark of the process that calls exec into the new
program's ``ru_maxrss`` (and Python's subprocess execs from a vfork of the caller), so a
command started by a large process (a test run that has loaded torch) reports the caller's
peak, not its own. The command is therefore started by a small wrapper Python, whose own
peak is a few MB, and the wrapper reports its child's ``RUSAGE_CHILDREN``.

The same wrapper reports what the command wrote: ``ru_oublock``, which Linux counts in
512-byte blocks as the command (and its children) dirty pages of any file, scratch files
deleted before they reach the disk included.

Run as a script: ``python bench/peak_rss.py REPORT_FILE CMD...`` writes the peak in KiB and
the blocks written.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any


def measure(cmd: list[str], **popen: Any) -> tuple[subprocess.CompletedProcess[str], float, float]:
    """Run `cmd` (keyword arguments as for subprocess.run, text output captured) and return
    the finished process, its peak RSS in MiB and the MiB it wrote."""
    with tempfile.TemporaryDirectory(prefix="peak-rss-") as tmp:
        report = Path(tmp) / "usage"
        done = subprocess.run([sys.executable, __file__, str(report), *cmd],
                              capture_output=True, text=True, **popen)
        kib, blocks = map(int, report.read_text().split()) if report.exists() else (0, 0)
    return done, kib / 1024, blocks * 512 / 2**20


def _main(report: str, cmd: list[str]) -> int:
    import resource

    code = subprocess.call(cmd)
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    Path(report).write_text(f"{usage.ru_maxrss} {usage.ru_oublock}")
    return code


if __name__ == "__main__":
    # the wrapper stays small: nothing imported beyond the standard library above
    os.environ.pop("PYTHONSTARTUP", None)
    raise SystemExit(_main(sys.argv[1], sys.argv[2:]))
