"""Output files: torn-line repair and atomic appends (SPEC section 3).

Every change to an output file is made on a copy in the same directory, flushed to disk,
then renamed over the original: a crash leaves the file as it was or as it became, never
half-written.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def fsync_path(path: Path) -> None:
    """fsync a file or a directory (a directory's entries: a rename in it is durable)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def prepare_replacement(target: Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` on a temporary file beside ``target`` and sync it; the caller
    renames it over target with ``commit``. Nothing visible changes until then."""
    if target.is_dir():
        raise IsADirectoryError(21, "Is a directory", str(target))
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        write(tmp)
        # mkstemp makes 0600 files; keep the target's mode, or give a new file the usual one
        # (after writing: a writer may have moved another file onto tmp)
        os.chmod(tmp, target.stat().st_mode & 0o7777 if target.exists() else 0o666 & ~_umask())
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return tmp


def commit(tmp: Path, target: Path) -> None:
    """Rename a prepared file over its target (atomic) and sync the directory."""
    os.replace(tmp, target)
    fsync_path(target.parent)


def replace_atomically(target: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp)`` on a temporary file beside ``target``, then rename it over target."""
    tmp = prepare_replacement(target, write)
    try:
        commit(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def _copy_into(source: Path, out: BinaryIO) -> None:
    """Append source's bytes to out, in the kernel where it can (copy_file_range)."""
    out.flush()
    with open(source, "rb") as src:
        try:
            while os.copy_file_range(src.fileno(), out.fileno(), 1 << 30):
                pass
        except OSError:  # a filesystem without it: copy through user space from where it stopped
            out.seek(0, os.SEEK_END)
            shutil.copyfileobj(src, out, 1 << 20)


def _appended(target: Path, write_tail: Callable[[BinaryIO], None]) -> Callable[[Path], None]:
    """A writer for prepare_replacement: target's bytes (if any), then write_tail's."""
    def write(tmp: Path) -> None:
        with open(tmp, "wb") as out:
            if target.exists():
                _copy_into(target, out)
                out.seek(0, os.SEEK_END)
            write_tail(out)

    return write


def prepare_append(target: Path, new_lines: Path) -> Path | None:
    """A synced copy of ``target`` with the bytes of ``new_lines`` appended, ready for
    ``commit``; None when there is nothing to append. ``new_lines`` may be consumed."""
    if new_lines.stat().st_size == 0:
        return None
    if not target.exists() or target.stat().st_size == 0:
        def move(tmp: Path) -> None:
            # nothing to keep: the new lines themselves become the file (no second write)
            try:
                os.replace(new_lines, tmp)
            except OSError:  # another filesystem
                shutil.copyfile(new_lines, tmp)
        return prepare_replacement(target, move)
    return prepare_replacement(target, _appended(target, lambda out: _copy_into(new_lines, out)))


def append_atomically(target: Path, data: bytes) -> None:
    """Append ``data`` to ``target`` (created if missing) by copy-and-rename."""
    replace_atomically(target, _appended(target, lambda out: out.write(data)))


def torn_tail(target: Path) -> bytes | None:
    """The bytes after the last newline of ``target`` when it does not end in one, else None."""
    if not target.is_file():
        return None
    size = target.stat().st_size
    if size == 0:
        return None
    with open(target, "rb") as f:
        # read backwards in blocks until a newline is found
        block, pos, tail = 1 << 16, size, b""
        while pos > 0:
            step = min(block, pos)
            pos -= step
            f.seek(pos)
            chunk = f.read(step)
            tail = chunk + tail
            nl = tail.rfind(b"\n")
            if nl >= 0:
                tail = tail[nl + 1:]
                break
    return tail or None


def repair_torn(target: Path, is_json_object: Callable[[bytes], bool]) -> str | None:
    """Give a torn last line its newline when it is a JSON object; otherwise move it to
    ``<target>.torn`` and cut it off. Returns what was done, or None when nothing was torn."""
    tail = torn_tail(target)
    if tail is None:
        return None
    keep = target.stat().st_size - len(tail)
    if is_json_object(tail):
        def finish(tmp: Path) -> None:
            shutil.copyfile(target, tmp)
            with open(tmp, "ab") as f:
                f.write(b"\n")

        replace_atomically(target, finish)
        return "completed"
    torn = target.with_name(target.name + ".torn")

    def cut(tmp: Path) -> None:
        with open(target, "rb") as old, open(tmp, "wb") as out:
            remaining = keep
            while remaining:
                chunk = old.read(min(1 << 20, remaining))
                if not chunk:
                    break
                out.write(chunk)
                remaining -= len(chunk)

    # the torn line is saved first: a crash between the two steps repeats the cut, and the
    # .torn file may then hold the line twice, but nothing is lost
    append_atomically(torn, tail + b"\n")
    replace_atomically(target, cut)
    return "moved to " + torn.name


def remove_stale_scratch(root: Path, directories: list[Path]) -> list[Path]:
    """Delete what a killed run left half-made: ``.<name>.*.tmp`` copies beside output files,
    ``.warehouse.*.duckdb`` builds, and the scratch files and staged new lines
    (``new-lines-*/``) under ``.distill_duck/``. Only call
    this while holding the root lock: then no other run is writing them."""
    stale: list[Path] = []
    for directory in directories:
        if directory.is_dir():
            stale += [p for p in directory.glob(".*.tmp") if p.is_file()]
    stale += [p for p in root.glob(".warehouse.*.duckdb*") if p.is_file()]
    state = root / ".distill_duck"
    if state.is_dir():
        stale += [p for p in state.glob("*.jsonl") if p.is_file()]
        stale += [p for p in state.glob("distill-duck-work-*.duckdb*") if p.is_file()]
        # a killed run's new lines, staged but never appended
        for folder in state.glob("new-lines-*"):
            if folder.is_dir() and not folder.is_symlink():
                shutil.rmtree(folder, ignore_errors=True)
                stale.append(folder)
    for p in stale:
        if p.is_file():
            p.unlink(missing_ok=True)
    return stale
