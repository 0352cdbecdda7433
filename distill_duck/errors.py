"""The exceptions the CLI turns into a one-line message, and the exit codes of SPEC section 11.

Every exit code the command returns comes from here, so the same kind of failure exits the
same way whichever command meets it.
"""

from __future__ import annotations

import errno

import duckdb

EXIT_OK = 0
EXIT_PROBLEM = 1      # the command ran and found a problem (health violations, failed run checks)
EXIT_USAGE = 2        # bad invocation: nothing was written
EXIT_MACHINE = 3      # the machine could not do it: out of memory, disk full, lock held
EXIT_INTERRUPTED = 130  # Ctrl-C (128 + SIGINT), as shells report it

# OSError numbers that mean the machine ran out of something, not that the user erred
_MACHINE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.ENOMEM})


class DistillError(Exception):
    """A problem the user can fix; the message names the thing and the fix."""

    exit_code = EXIT_PROBLEM


class UsageError(DistillError):
    """A bad invocation (SPEC section 11): exit 2, nothing written."""

    exit_code = EXIT_USAGE


class MachineError(DistillError):
    """The machine could not do it (out of memory, disk full, the root locked by another
    run): exit 3. Running again with more room, or later, can succeed."""

    exit_code = EXIT_MACHINE


def exit_code_of(error: BaseException) -> int:
    """The SPEC section 11 exit code for an exception that ends a command."""
    if isinstance(error, KeyboardInterrupt):
        return EXIT_INTERRUPTED
    if isinstance(error, DistillError):
        return error.exit_code
    if isinstance(error, (MemoryError, duckdb.OutOfMemoryException)):
        return EXIT_MACHINE
    if isinstance(error, OSError) and error.errno in _MACHINE_ERRNOS:
        return EXIT_MACHINE
    return EXIT_PROBLEM


def duckdb_failure(error: duckdb.Error, message: str) -> DistillError:
    """A DistillError for a DuckDB failure: MachineError (exit 3) when DuckDB ran out of
    memory or disk, else DistillError."""
    text = str(error)
    if isinstance(error, duckdb.OutOfMemoryException) or "No space left on device" in text:
        return MachineError(message)
    return DistillError(message)
