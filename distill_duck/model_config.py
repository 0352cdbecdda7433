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

# how a model's relation is built: a view streams into its readers; a table is built once
# per run; incremental keeps the rows of each input file between runs (input_cache.py)
MATERIALIZATIONS = ("table", "view", "incremental")


@dataclass(frozen=True)
class ModelConfig:
    materialized: str = "table"
    files: str | None = None  # incremental: the bound variable listing its input files
    publish: bool = False  # part of the warehouse's public interface
    comment: str | None = None  # the relation's comment in the warehouse
    columns: Mapping[str, str] = field(default_factory=dict)  # column comments
    export: str | None = None  # the output file (under the root) its rows are appended to
    dataset_config: str | None = None  # `dataset`: the Hugging Face config it writes
    dataset_file: str | None = None  # `dataset`: a file per split ("{split}" in the name)
    # DuckDB settings for this model's statement only (restored after it), e.g. a join
    # whose sides DuckDB cannot size: {'disabled_optimizers': 'build_side_probe_side'}
    settings: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def parse(cls, model: str, given: Mapping[str, Any]) -> ModelConfig:
        known = {f.name: f for f in fields(cls)}
        for key, value in given.items():
            if key not in known:
                raise DistillError(
                    f"model {model!r}: config({key}=...) is not a model setting; "
                    f"use one of {', '.join(known)}")
            kind = {"publish": bool, "columns": dict, "settings": dict}.get(key, str)
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
        if (config.materialized == "incremental") != (config.files is not None):
            raise DistillError(
                f"model {model!r}: config(materialized='incremental') and config(files=...) go "
                "together (an incremental model names the variable that lists its input files)")
        return config
