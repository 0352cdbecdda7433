"""Deterministic sample lakehouse for demos, tests and benchmarks.

``write_demo(root)`` writes dated evidence / scored-run partitions under
``root/data`` that look like the real lakehouse (source classes, category mix,
several attempts per task, markdown texts with non-ASCII) and sprinkles every
kind of input fault the exporters must survive (see ``FAULT_KINDS``).

The same ``(runs, seed)`` always gives a byte-identical tree: all randomness
comes from ``random.Random`` instances seeded from ``seed``, and every partition
is generated from its own derived seed, so partitions can be written in
parallel without changing a byte.
"""

from __future__ import annotations

from distill_duck.demo.sources import FAULT_KINDS, SOURCE_STEMS
from distill_duck.demo.write import write_demo

__all__ = ["FAULT_KINDS", "SOURCE_STEMS", "write_demo"]
