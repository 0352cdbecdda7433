"""The safety gates' settings (SPEC section 12): which gates run, with what reference data.

The gates themselves are SQL (sql/safety/, sql/macros/safety.sql, duplicates.sql); this
module turns the command line into template variables and bound file lists, and reads a
git work tree's tracked files for --repo.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from distill_duck.errors import UsageError


@dataclass(frozen=True)
class SafetyGates:
    enabled: bool = True  # --no-safety-gates turns all of section 12 off
    secrets: bool = True
    redact_secrets: bool = False
    repo_manifest: str | None = None
    repo: str | None = None
    decontaminate: tuple[str, ...] = ()
    decontaminate_ngram: int = 13
    duplicates: bool = True
    near_duplicates: bool = True
    near_duplicate_threshold: float = 0.8

    def on(self) -> dict[str, bool]:
        """Which gates run, keyed by the quarantine reason each gives, in the order they run
        (SPEC 12): 12.1, 12.4 and 12.5 by default; 12.2 and 12.3 with their data."""
        return {
            "secret_detected": self.enabled and self.secrets,
            "hallucinated_file_path": self.enabled
            and (self.repo_manifest is not None or self.repo is not None),
            "benchmark_contamination": self.enabled and bool(self.decontaminate),
            "duplicate_content": self.enabled and self.duplicates,
            "near_duplicate": self.enabled and self.near_duplicates,
        }

    def context(self) -> dict[str, Any]:
        """The template variables of the gates (file names are bound, never templated)."""
        on = self.on()
        return {
            "gates": on,
            "redact_secrets": on["secret_detected"] and self.redact_secrets,
            "decontaminate_ngram": self.decontaminate_ngram,
            "near_duplicate_threshold": float(self.near_duplicate_threshold),
        }

    def settings(self) -> dict[str, dict[str, Any]]:
        """Every gate with its settings, as the run summary, the receipt and `runs` record them."""
        on = self.on()
        return {
            "secret_detected": {
                "on": on["secret_detected"],
                "redact": on["secret_detected"] and self.redact_secrets,
            },
            "hallucinated_file_path": {
                "on": on["hallucinated_file_path"],
                "repo_manifest": self.repo_manifest,
                "repo": self.repo,
            },
            "benchmark_contamination": {
                "on": on["benchmark_contamination"],
                "files": list(self.decontaminate),
                "ngram": self.decontaminate_ngram,
            },
            "duplicate_content": {"on": on["duplicate_content"]},
            "near_duplicate": {"on": on["near_duplicate"], "threshold": float(self.near_duplicate_threshold)},
        }

    def check(self) -> None:
        """Refuse settings that cannot work, naming the flag (SPEC 11: exit 2)."""
        if self.repo_manifest is not None and not Path(self.repo_manifest).is_file():
            raise UsageError(
                f"--repo-manifest {self.repo_manifest!r} is not a file; "
                "pass a file with one repository path per line (as `git ls-files` prints)"
            )
        for f in self.decontaminate:
            if not Path(f).is_file():
                raise UsageError(
                    f"--decontaminate {f!r} is not a file; pass evaluation files "
                    "(.jsonl: one JSON object a line; any other: one item a line)"
                )
        if not 0 < self.near_duplicate_threshold <= 1:
            raise UsageError(
                f"--near-duplicate-threshold must be in (0, 1], not {self.near_duplicate_threshold}"
            )
        if self.decontaminate_ngram < 1:
            raise UsageError(f"--decontaminate-ngram must be at least 1, not {self.decontaminate_ngram}")
        if self.repo is not None:
            tracked_files(Path(self.repo))

    def manifest_file(self, scratch_dir: Path) -> Path | None:
        """The manifest the path gate reads: --repo-manifest as given, or the tracked files
        of --repo written to a scratch file in scratch_dir."""
        if self.repo_manifest is not None:
            return Path(self.repo_manifest).resolve()
        if self.repo is None:
            return None
        scratch_dir.mkdir(parents=True, exist_ok=True)
        target = scratch_dir / "repo-manifest.txt"
        target.write_text("".join(p + "\n" for p in tracked_files(Path(self.repo))), encoding="utf-8")
        return target


def tracked_files(repo: Path) -> list[str]:
    """The files git tracks in the work tree at repo (`git ls-files`)."""
    try:
        p = subprocess.run(["git", "-C", str(repo), "ls-files", "-z"], capture_output=True)
    except FileNotFoundError as e:
        raise UsageError("--repo needs git on PATH; install git or pass --repo-manifest FILE") from e
    if p.returncode != 0:
        raise UsageError(
            f"--repo {str(repo)!r} is not a git work tree; pass a checkout's folder "
            "or --repo-manifest FILE with one path per line"
        )
    return [name for name in p.stdout.decode("utf-8", "replace").split("\0") if name]
