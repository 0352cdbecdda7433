"""The lakehouse root: where things are, which partition files exist (SPEC section 1)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from distill_duck.errors import UsageError

SCORED_DIR = "data/scored-runs"
EVIDENCE_DIR = "data/evidence"

# (the output files are the exporters' own: sql/exporters.toml)
WAREHOUSE = "warehouse.duckdb"
RUNS_HISTORY = "reports/distillation/runs.jsonl"


def file_stat(path: Path) -> str:
    """Size, mtime, ctime, inode and device of a file: any write to it, or its replacement,
    changes them (OSError when it is gone)."""
    st = os.stat(path)
    return f"{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}:{st.st_ino}:{st.st_dev}"


def resolve_root(root: str | os.PathLike[str] | None) -> Path:
    """--root, else $LH_DISTILL_ROOT, else the current directory; it must be a directory
    holding data/ (SPEC section 1)."""
    raw = root if root is not None else os.environ.get("LH_DISTILL_ROOT") or "."
    path = Path(raw).expanduser()
    if not path.exists():
        raise UsageError(f"root {str(raw)!r} does not exist; pass --root DIR or set LH_DISTILL_ROOT")
    if not path.is_dir():
        raise UsageError(f"root {str(raw)!r} is not a directory; pass the lakehouse directory")
    if not (path / "data").is_dir():
        # a typo or the wrong current directory would otherwise be "exported" as zero
        # records, with .distill_duck/, reports/ and a warehouse left in it (SPEC 1, 11)
        raise UsageError(f"root {str(raw)!r} has no data/ directory: is this a lakehouse root? "
                         "pass --root DIR (or set LH_DISTILL_ROOT) to the folder holding data/scored-runs/")
    return path.resolve()


@dataclass(frozen=True)
class Lakehouse:
    root: Path

    def partition_files(self, kind_dir: str) -> list[str]:
        """Files ending in .jsonl exactly three directory levels below kind_dir, as root-relative
        POSIX paths in byte order (SPEC section 1)."""
        base = self.root / kind_dir
        found = []
        for dirpath, dirnames, filenames in os.walk(base, followlinks=True):
            depth = len(Path(dirpath).relative_to(base).parts)
            if depth >= 3:
                dirnames[:] = []  # deeper levels are never partitions
            if depth != 3:
                continue
            for name in filenames:
                if name.endswith(".jsonl") and os.path.isfile(os.path.join(dirpath, name)):
                    found.append(Path(dirpath, name).relative_to(self.root).as_posix())
        return sorted(found, key=lambda p: p.encode("utf-8", "surrogateescape"))

    def ignored_files(self) -> list[str]:
        """Every file under data/ that is not a partition file (SPEC section 1: not read,
        but reported), as root-relative POSIX paths in byte order."""
        partitions = set(self.scored_files()) | set(self.evidence_files())
        found = []
        for dirpath, _, filenames in os.walk(self.root / "data", followlinks=True):
            for name in filenames:
                rel = Path(dirpath, name).relative_to(self.root).as_posix()
                if rel not in partitions:
                    found.append(rel)
        return sorted(found, key=lambda p: p.encode("utf-8", "surrogateescape"))

    def scored_files(self) -> list[str]:
        return self.partition_files(SCORED_DIR)

    def evidence_files(self) -> list[str]:
        return self.partition_files(EVIDENCE_DIR)

    def path(self, rel: str) -> Path:
        return self.root / rel
