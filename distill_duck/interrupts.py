"""Ctrl-C (SPEC section 11): exit 130 with one line, every output as before or as after.

Before a run starts writing, an interrupt stops it where it is: nothing under the root has
changed yet (scratch files are removed). Once it has begun writing, the interrupt is noted
and the run finishes first (export files, run history, warehouse, receipt), so the history
and the receipt are written together or not at all.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType

# for tests: interrupt the run this long after the stage of that name begins
HOOK_ENV = "DISTILL_DUCK_INTERRUPT_AT"
HOOK_DELAY_S = 0.05


class Interrupted(KeyboardInterrupt):
    """An interrupt that arrived while a run was writing; the run finished first."""


class _State:
    seen = False  # a SIGINT arrived during this command
    deferring = 0  # depth of deferred() blocks


_state = _State()


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


def _handler(signum: int, frame: FrameType | None) -> None:
    _state.seen = True
    if not _state.deferring:
        raise KeyboardInterrupt


@contextmanager
def watch() -> Iterator[_State]:
    """For the command line: note every SIGINT (DuckDB reports an interrupted query as an
    error of its own; the command still exits 130), raising KeyboardInterrupt as usual."""
    if not _in_main_thread():
        yield _state
        return
    previous = signal.signal(signal.SIGINT, _handler)
    _state.seen = False
    try:
        yield _state
    finally:
        signal.signal(signal.SIGINT, previous)


@contextmanager
def deferred() -> Iterator[None]:
    """A block an interrupt does not stop: it is acted on when the block ends."""
    if not _in_main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, _handler)
    seen_before, _state.seen = _state.seen, False
    _state.deferring += 1
    try:
        yield
    finally:
        _state.deferring -= 1
        seen, _state.seen = _state.seen, seen_before or _state.seen
        signal.signal(signal.SIGINT, previous)
    if seen and not _state.deferring:
        raise Interrupted("the run had begun writing and finished first: every output, the run "
                          "history and the receipt are complete")


def hooked(progress: Callable[[str], None] | None) -> Callable[[str], None] | None:
    """progress, plus the interrupt hook when $DISTILL_DUCK_INTERRUPT_AT names a stage."""
    target = os.environ.get(HOOK_ENV)
    if not target:
        return progress

    def report(stage: str) -> None:
        if progress:
            progress(stage)
        if stage == target:
            timer = threading.Timer(HOOK_DELAY_S, os.kill, (os.getpid(), signal.SIGINT))
            timer.daemon = True  # a run that ends first is not held open by it
            timer.start()

    return report
