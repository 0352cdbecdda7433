"""What a model's ``{{ config(...) }}`` call may say, as a validated type.

A misspelt key or value would otherwise be ignored silently (``materialized='tabel'``
building a table): every key and value is checked when the model is loaded, and a wrong
one is a one-line error naming the model and what is allowed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any

from distill_duck.errors import DistillError

# How a model's relation is built, each a named strategy the runner dispatches on:
#   table        built once per run          view      streams into its readers
#   incremental  keeps the rows of each input file between runs (input_cache.py); with
#                appended=true its files are the run's outputs, and the lines a run appends
#                are added to their rows after the write, so the next run reads none of them
#   export       a table of new lines (one `jsonl` column) the run appends to the file
#                named by `export`, atomically, after its checks pass
#   publish      a warehouse relation, built from the output files as the run leaves them
#                (carried over from the last warehouse when its sources did not change)
#   check        assertions (name, passed, detail) on the run as prepared: one failing stops
#                the run before anything is written; all go into the receipt
#   memo         values kept between runs by `key` (memo.py): the models naming it in
#                `memo=` look their rows up there and add the ones they computed
MATERIALIZATIONS = ("table", "view", "incremental", "export", "publish", "check", "memo")
# the commands that run a model only when asked for it by name (`distill-duck run` and the
# export commands leave it out)
COMMANDS = ("health", "dataset")


@dataclass(frozen=True)
class ModelConfig:
    materialized: str = "table"
    files: str | None = None  # incremental: the bound variable listing its input files
    # incremental over the run's own output files: after the write, the rows of the lines
    # the run appended are added and each file is kept as it is then (input_cache.py)
    appended: bool = False
    publish: bool = False  # also copied into the warehouse (implied by materialized='publish')
    comment: str | None = None  # the relation's comment in the warehouse
    columns: Mapping[str, str] = field(default_factory=dict)  # column comments
    export: str | None = None  # the output file (under the root) its rows are appended to
    dataset_config: str | None = None  # `dataset`: the Hugging Face config it writes
    dataset_file: str | None = None  # `dataset`: a file per split ("{split}" in the name)
    # DuckDB settings for this model's statement only (restored after it), e.g. a join
    # whose sides DuckDB cannot size: {'disabled_optimizers': 'build_side_probe_side'}
    settings: Mapping[str, str] = field(default_factory=dict)
    command: str | None = None  # run only by this command (one of COMMANDS)
    key: str | None = None  # memo: the column its rows are kept by
    memo: str | None = None  # a table adding its new rows to this memo model

    @property
    def published(self) -> bool:
        """Part of the warehouse's public interface."""
        return self.publish or self.materialized == "publish"

    @classmethod
    def parse(cls, model: str, given: Mapping[str, Any]) -> ModelConfig:
        known = {f.name: f for f in fields(cls)}
        for key, value in given.items():
            if key not in known:
                raise DistillError(
                    f"model {model!r}: config({key}=...) is not a model setting; "
                    f"use one of {', '.join(known)}")
            kind = {"publish": bool, "appended": bool, "columns": dict, "settings": dict}.get(key, str)
            if not isinstance(value, kind) or (kind is dict and not all(
                    isinstance(k, str) and isinstance(v, str) for k, v in value.items())):
                names = "setting" if key == "settings" else "column"
                want = {bool: "true or false",
                        dict: f"a mapping of {names} names to text"}.get(kind, "a string")
                raise DistillError(f"model {model!r}: config({key}={value!r}) must be {want}")
        config = cls(**given)
        if config.materialized not in MATERIALIZATIONS:
            raise DistillError(
                f"model {model!r}: config(materialized={config.materialized!r}) is not one of "
                f"{', '.join(MATERIALIZATIONS)}")
        if config.command is not None and config.command not in COMMANDS:
            raise DistillError(
                f"model {model!r}: config(command={config.command!r}) is not one of {', '.join(COMMANDS)}")
        if (config.materialized == "export") != (config.export is not None):
            raise DistillError(
                f"model {model!r}: config(materialized='export') and config(export=...) go together "
                "(an export model names the output file its lines are appended to)")
        if (config.materialized == "incremental") != (config.files is not None):
            raise DistillError(
                f"model {model!r}: config(materialized='incremental') and config(files=...) go "
                "together (an incremental model names the variable that lists its input files)")
        if config.appended and config.materialized != "incremental":
            raise DistillError(
                f"model {model!r}: config(appended=true) is for incremental models over the "
                "output files (materialized='incremental', files=...)")
        if (config.materialized == "memo") != (config.key is not None):
            raise DistillError(
                f"model {model!r}: config(materialized='memo') and config(key=...) go together "
                "(a memo names the column its rows are kept by)")
        if config.memo is not None and config.materialized != "table":
            raise DistillError(
                f"model {model!r}: config(memo=...) is for tables (materialized='table'): "
                "their new rows are added to the memo once built")
        return config
