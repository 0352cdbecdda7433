"""The one exception the CLI turns into a one-line message and exit code."""

from __future__ import annotations


class DistillError(Exception):
    """A problem the user can fix; the message names the thing and the fix."""

    exit_code = 1


class UsageError(DistillError):
    """A bad invocation (SPEC section 11): exit 2, nothing written."""

    exit_code = 2
