"""The Spark dialect layer: a model's rendered DuckDB SQL as Spark SQL.

The models stay DuckDB SQL. For Spark, the runner renders them with the templates under
``sql/macros/spark/`` in place of those of the same name (the byte-level reading tier),
then, on the sqlglot tree:

1. every call of a DuckDB ``TEMP MACRO`` is replaced by its body (the body under
   ``sql/macros/spark/`` where one of that name is declared there, in Spark SQL; else the
   DuckDB one). Spark SQL functions cannot be called inside a lambda, so macros are text;
2. the short list of rewrites below, for what sqlglot maps wrongly or not at all;
3. the result is generated as Spark SQL and linted: a function not on :data:`ALLOWED`
   is an error (sqlglot passes unknown functions through silently, and Spark would only
   refuse them when the query runs, or worse, run a different function of the same name).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.dialects.duckdb import DuckDB
from sqlglot.optimizer.qualify import qualify

from distill_duck.errors import DistillError

ENGINE = "spark"
MACRO_DEFINITION = re.compile(
    r"^CREATE OR REPLACE TEMP MACRO\s+(\w+)\s*\(([^)]*)\)\s+AS\s+", re.MULTILINE)


class ModelDuckDB(DuckDB):
    """DuckDB as our models write it: ``len`` is only ever a list's length (sqlglot reads
    it as a string's, which Spark would compute on an array silently wrong or refuse)."""

    class Parser(DuckDB.Parser):
        FUNCTIONS = {**DuckDB.Parser.FUNCTIONS,
                     "LEN": lambda args: exp.Anonymous(this="array_size", expressions=args)}


# Spark functions the transpiled models may call: everything else is refused by the lint.
# (Names as Spark SQL spells them; lower case.)
ALLOWED = frozenset("""
abs aggregate and array array_append array_contains array_distinct array_except array_intersect
array_join array_max array_min array_position array_remove array_size array_sort array_union
arrays_zip bool_and bool_or cardinality cast ceil char_length coalesce collect_list collect_set
concat concat_ws contains count element_at endswith every exists explode filter first
forall get greatest if ifnull instr is_valid_utf8 isnotnull isnull last least left length
like lower lpad ltrim map_from_entries max max_by md5 min min_by named_struct nullif nvl
posexplode regexp_count regexp_extract regexp_extract_all regexp_instr regexp_like
regexp_replace repeat replace reverse right rlike round row_number rpad rtrim schema_of_variant
sequence sha2 size slice sort_array split split_part startswith struct substr substring sum
to_json transform trim try_cast try_parse_json try_variant_get upper variant_get xxhash64
zip_with dense_rank rank lag lead unhex hex conv string bigint int double decode encode
try_to_binary is_variant_null char unbase64 base64 bit_length octet_length
get_json_object make_valid_utf8 shiftright raise_error pmod from_json map_values
""".split())


@dataclass(frozen=True)
class Macro:
    name: str
    params: tuple[str, ...]
    body: exp.Expression


def parse_macros(sql: str, dialect: type[sqlglot.Dialect] | str) -> dict[str, Macro]:
    """The ``CREATE OR REPLACE TEMP MACRO name(params) AS body;`` definitions in a file."""
    found = list(MACRO_DEFINITION.finditer(sql))
    macros = {}
    for i, m in enumerate(found):
        end = found[i + 1].start() if i + 1 < len(found) else len(sql)
        body = _strip_comments(sql[m.end():end]).strip().rstrip(";")
        params = tuple(p.strip() for p in m.group(2).split(",") if p.strip())
        try:
            tree = sqlglot.parse_one(body, read=dialect)
        except sqlglot.errors.SqlglotError as e:
            raise DistillError(f"macro {m.group(1)!r} is not SQL sqlglot can read: {e}") from e
        macros[m.group(1).lower()] = Macro(m.group(1).lower(), params, tree)
    return macros


def _strip_comments(sql: str) -> str:
    # whole-line comments only: a body's "--" inside a string stays
    return "\n".join(line for line in sql.splitlines() if not line.lstrip().startswith("--"))


class SparkDialect:
    """The macros of one project for Spark, and the translation of its models."""

    def __init__(self, duckdb_macros: Iterable[tuple[str, str]], spark_macro_files: Iterable[str]):
        self.macros: dict[str, Macro] = {}
        for _, sql in duckdb_macros:
            for macro in parse_macros(sql, ModelDuckDB).values():
                check_duckdb(macro.body)
                self.macros[macro.name] = macro
        # the Spark bodies replace the DuckDB ones of the same name (a lambda index in a
        # Spark TEMP MACRO body is Spark's own, 0-based: it is not shifted as a DuckDB one
        # is; the Jinja macros under sql/macros/spark/ are DuckDB SQL, and shifted)
        for sql in spark_macro_files:
            for macro in parse_macros(sql, "spark").values():
                self.macros[macro.name] = Macro(macro.name, macro.params, _indexes_kept(macro.body))

    def transpile(self, name: str, sql: str, columns: Mapping[str, Iterable[str]] | None = None) -> str:
        """A model's rendered SQL as one Spark SQL query (see :meth:`transpile_parts`)."""
        parts = self.transpile_parts(name, sql, columns, hoist=False)
        return parts[-1][1]

    def transpile_parts(self, name: str, sql: str, columns: Mapping[str, Iterable[str]] | None = None,
                        hoist: bool = True) -> list[tuple[str, str]]:
        """A model's rendered SQL as Spark SQL (getvariable('x') becomes the parameter :x), as
        (view, query) pairs to run in order, the model's own query last.

        ``columns``: the columns of the relations it reads, where it selects ``* REPLACE``
        (Spark has no REPLACE: the star is expanded). With ``hoist``, each CTE the model
        marks ``AS MATERIALIZED`` becomes a view of its own, computed once: Spark inlines a
        CTE into every reference, and the duplicate gates' CTEs, each read several times,
        would otherwise be planned over and over."""
        try:
            tree = sqlglot.parse_one(sql, read=ModelDuckDB)
        except sqlglot.errors.SqlglotError as e:
            raise DistillError(f"model {name!r} is not SQL sqlglot can read: {e}") from e
        check_duckdb(tree)
        if needs_columns(tree):
            schema = {t: dict.fromkeys(cols, "VARCHAR") for t, cols in (columns or {}).items()}
            tree = qualify(tree, schema=schema, dialect=ModelDuckDB, validate_qualify_columns=False,
                           quote_identifiers=False, identify=False)
        tree = self.inline(tree)
        parts: list[tuple[str, exp.Expression]] = []
        if hoist:
            hoisted = [n for n in _post_order(tree) if isinstance(n, exp.CTE) and n.args.get("materialized")]
            for cte in hoisted:
                view = f"{name}__{cte.alias}"
                parts.append((view, _standalone(cte)))
                cte.set("this", exp.select("*").from_(exp.to_table(view)))
                cte.set("materialized", None)
            tree = _unused_ctes_dropped(tree)
        parts.append((name, tree))
        return [(view, self._spark_sql(name, part)) for view, part in parts]

    def _spark_sql(self, name: str, tree: exp.Expression) -> str:
        tree = rewrite(tree)
        try:
            out = tree.sql(dialect="spark", unsupported_level=sqlglot.ErrorLevel.RAISE, comments=False)
        except sqlglot.errors.UnsupportedError as e:
            raise DistillError(f"model {name!r} has no Spark translation: {' '.join(str(e).split())}") from e
        refused = sorted(set(calls(out)) - ALLOWED)
        if refused:
            raise DistillError(
                f"model {name!r} calls {', '.join(refused)} on Spark, which is not on the "
                "engine's allow-list: give it a Spark body under sql/macros/spark/ or a "
                "rewrite in distill_duck/engines/spark_sql.py")
        return out

    def inline(self, tree: exp.Expression) -> exp.Expression:
        """Replace every macro call by the macro's body, its parameters by the arguments
        (innermost calls first, so an argument is itself already expanded)."""
        def expand(node: exp.Expression) -> exp.Expression:
            if isinstance(node, exp.Anonymous) and str(node.this).lower() in self.macros:
                macro = self.macros[str(node.this).lower()]
                args = node.expressions
                if len(args) != len(macro.params):
                    raise DistillError(
                        f"macro {macro.name} takes {len(macro.params)} arguments, "
                        f"called with {len(args)}")
                bound = {p: _grouped(a) for p, a in zip(macro.params, args, strict=True)}
                body = macro.body.copy().transform(
                    lambda n: bound[n.name].copy()
                    if isinstance(n, exp.Column) and not n.table and n.name in bound else n)
                return exp.Paren(this=self.inline(body))
            return node
        return tree.transform(expand)


def _post_order(node: exp.Expression) -> Iterator[exp.Expression]:
    """The nodes under ``node`` children first, in the order of their arguments: a WITH's
    CTEs before the query that reads them, each after the CTEs nested in it. Hoisted in
    this order, every CTE a hoisted one can see is already a view of its own, never
    computed again inside it."""
    with_ = node.args.get("with_")  # (the parser sets a query's WITH last)
    for child in [with_] * (with_ is not None) + [c for c in node.iter_expressions() if c is not with_]:
        yield from _post_order(child)
    yield node


def _standalone(cte: exp.CTE) -> exp.Expression:
    """A CTE's query on its own: with the CTEs it reads (directly or through each other)
    of those it can see (defined before it, in its own WITH and in each enclosing one),
    nested as the scopes are, so shadowing holds. Each part is then translated and planned
    only with what it uses, not with every CTE it could see."""
    query: exp.Expression = exp.select("*").from_(exp.Subquery(this=cte.this.copy(), alias="cte"))
    wanted = _reads(cte.this)
    child: exp.Expression = cte
    node = cte.parent
    while node is not None:
        visible: list[exp.CTE] = []
        if isinstance(node, exp.With):
            visible = node.expressions[:node.expressions.index(child)] if child in node.expressions \
                else list(node.expressions)
        elif isinstance(node, exp.Query) and node.args.get("with_") not in (None, child):
            # reached from the query's body: every CTE of its WITH is in scope
            visible = list(node.args["with_"].expressions)
        kept = []
        for c in reversed(visible):  # (a CTE reads only those before it)
            if c.alias in wanted:
                kept.insert(0, c.copy())
                wanted |= _reads(c.this)
        if kept:
            query = exp.select("*").from_(exp.Subquery(this=query, alias="cte"))
            query.set("with_", exp.With(expressions=kept, recursive=node.args.get("recursive")
                                        if isinstance(node, exp.With) else None))
        child, node = node, node.parent
    return query


def _reads(node: exp.Expression) -> set[str]:
    """The names of the relations (tables, views, CTEs) a query reads; a recursive CTE's
    reference to itself is not a read."""
    return {t.name for t in node.find_all(exp.Table) if not t.args.get("db")
            and not any(_recursive_cte(a) and a.alias == t.name for a in _ancestors(t))}


def _unused_ctes_dropped(query: exp.Expression) -> exp.Expression:
    """``query`` without the CTEs nothing in it reads (any more: those a hoisted CTE read
    are read from its view). Each part is then translated and planned only with what it
    uses, not with every CTE it could see. A name read anywhere keeps every CTE of that
    name (shadowing can only keep one too many)."""
    while True:
        read = _reads(query)
        unused = [c for c in query.find_all(exp.CTE) if c.alias not in read]
        if not unused:
            return query
        for cte in unused:
            with_ = cte.parent
            cte.pop()
            if isinstance(with_, exp.With) and not with_.expressions:
                with_.pop()


def _recursive_cte(node: exp.Expression) -> bool:
    return (isinstance(node, exp.CTE) and isinstance(node.parent, exp.With)
            and bool(node.parent.args.get("recursive")))


def _ancestors(node: exp.Expression) -> Iterator[exp.Expression]:
    while node.parent is not None:
        node = node.parent
        yield node


def needs_columns(tree: exp.Expression) -> bool:
    """Whether a model selects ``* REPLACE (...)``, which Spark lacks."""
    return any(star.args.get("replace") for star in tree.find_all(exp.Star))


def _grouped(arg: exp.Expression) -> exp.Expression:
    """An argument pasted into a body keeps its own precedence."""
    if isinstance(arg, (exp.Column, exp.Literal, exp.Func, exp.Paren, exp.Null, exp.Boolean,
                        exp.Placeholder, exp.Array)):
        return arg
    return exp.Paren(this=arg)


_CALL = re.compile(r"\b([A-Za-z_][A-Za-z0-9_]*)\s*\(")
_STRING = re.compile(r"'(?:[^'\\]|\\.)*'|`[^`]*`")
_KEYWORDS = frozenset("""select from where and or not in as case when then else end over
partition by order filter exists struct array cast values distinct on join using with
interval lateral view except""".split())


def calls(spark_sql: str) -> list[str]:
    """The function names a Spark SQL text calls (lower case), string literals ignored."""
    text = _STRING.sub("''", spark_sql)
    return [n.lower() for n in _CALL.findall(text) if n.lower() not in _KEYWORDS]


# -- the rewrites ----------------------------------------------------------------------

def rewrite(tree: exp.Expression) -> exp.Expression:
    """The short list of DuckDB-to-Spark rewrites sqlglot does not make (or makes wrongly).
    (A replaced node's children are not visited by one pass: passes repeat until none
    changes anything.)"""
    for _ in range(8):
        replaced = 0

        def counted(node: exp.Expression) -> exp.Expression:
            nonlocal replaced
            new = _rewrite_node(node)
            replaced += new is not node
            return new

        tree = tree.transform(counted)
        if not replaced:
            return tree
    raise DistillError("the Spark rewrites do not settle: a rewrite undoes another")


def _rewrite_node(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Anonymous):
        fn = str(node.this).lower()
        if fn == "getvariable":
            # a bound run value: Spark's named parameter marker, bound by spark.sql(args=)
            return exp.Placeholder(this=node.expressions[0].name)
        if fn in _FUNCTIONS:
            return _FUNCTIONS[fn](node.expressions)
    if isinstance(node, exp.Table) and isinstance(node.this, exp.Anonymous) \
            and str(node.this.this).lower() == "read_blob":
        # read_blob(getvariable('x')): the binaryFile view the Spark engine registers for x
        variable = node.this.expressions[0].expressions[0].name
        return exp.Table(this=exp.to_identifier(blob_view(variable)), alias=node.args.get("alias"))
    if isinstance(node, exp.Chr):
        # Spark's chr(n) is chr(n % 256): DuckDB's (a code point) as a literal
        arg = node.expressions[0] if node.expressions else node.this
        if not isinstance(arg, exp.Literal) or arg.is_string:
            raise DistillError(f"chr() of a non-literal has no Spark equivalent: {node.sql()}")
        return exp.Literal.string(chr(int(arg.name)))
    if isinstance(node, exp.ArrayAgg) and isinstance(node.this, exp.Order):
        return _ordered_list(node.this)
    if isinstance(node, exp.DataType) and node.this in _TYPES:
        return exp.DataType.build(_TYPES[node.this], dialect="spark")
    if isinstance(node, exp.CTE):
        node.set("materialized", None)  # Spark has no AS MATERIALIZED hint
    if isinstance(node, (exp.Transform, exp.ArrayFilter)) and _indexed(node.expression):
        return _index_shifted(node)
    if isinstance(node, exp.Bracket) and _is_slice(node):
        return _slice(node)
    if isinstance(node, exp.Bracket) and len(node.expressions) == 1 \
            and not isinstance(node.expressions[0], (exp.Literal, exp.Neg, exp.Slice)):
        # sqlglot shifts only literal indexes to Spark's 0-based []: list[i] as element_at,
        # 1-based like DuckDB's
        return exp.Anonymous(this="element_at", expressions=[node.this, node.expressions[0]])
    if isinstance(node, exp.Bracket) and len(node.expressions) == 1 \
            and isinstance(node.expressions[0], exp.Neg):
        # list[-k] counts from the end in DuckDB (sqlglot keeps it 0-based: -k-1); Spark's
        # [] does not, its element_at does
        k = int(node.expressions[0].this.name) - 1
        return exp.Anonymous(this="element_at", expressions=[node.this, exp.Literal.number(-k)])
    return node


def check_duckdb(tree: exp.Expression) -> None:
    """Refuse DuckDB SQL whose meaning Spark cannot keep (before the Spark bodies are in)."""
    for node in tree.find_all(exp.RegexpReplace):
        # DuckDB replaces the first match unless 'g'; Spark always replaces all: the same
        # only for a pattern that can match once
        pattern = node.expression
        once = isinstance(pattern, exp.Literal) and (pattern.name[:1] == "^" or pattern.name[-1:] == "$")
        if node.args.get("modifiers") is None and not once:
            raise DistillError(
                f"regexp_replace without 'g' of an unanchored pattern has no Spark equivalent: "
                f"{node.sql()}")


def _ordered_list(order: exp.Order) -> exp.Expression:
    """list(x ORDER BY k, ...): Spark's collect_list keeps no order (sqlglot drops the
    ORDER BY), so the values are collected with their keys, sorted, and the keys dropped."""
    keys = order.expressions
    if any(k.args.get("desc") for k in keys):
        raise DistillError(f"list(... ORDER BY ... DESC) has no Spark translation here: {order.sql()}")
    fields = [exp.PropertyEQ(this=exp.to_identifier(f"k{i}"), expression=k.this) for i, k in enumerate(keys)]
    fields.append(exp.PropertyEQ(this=exp.to_identifier("v"), expression=order.this))
    collected = exp.Anonymous(this="array_sort", expressions=[
        exp.Anonymous(this="collect_list", expressions=[exp.Struct(expressions=fields)])])
    return exp.Anonymous(this="transform", expressions=[
        collected, exp.Lambda(this=exp.Dot(this=exp.column("e"), expression=exp.to_identifier("v")),
                              expressions=[exp.to_identifier("e")])])


# the suffix of a lambda index parameter already made 1-based (so a pass does it once)
_SHIFTED = "__from0"


def _indexed(fn: exp.Expression | None) -> bool:
    return isinstance(fn, exp.Lambda) and len(fn.expressions) == 2 \
        and not fn.expressions[1].name.endswith(_SHIFTED)


def _index_shifted(node: exp.Expression, by: int = 1) -> exp.Expression:
    """list_transform/list_filter(l, lambda x, i: ...): DuckDB's index i is 1-based,
    Spark's 0-based, so i is renamed and read as (i + 1) (``by`` 0: only renamed, for a
    Spark body's own index). A lambda inside that binds the same name keeps its own."""
    fn: exp.Lambda = node.expression
    name = fn.expressions[1].name
    renamed = exp.to_identifier(name + _SHIFTED)

    def shift(n: exp.Expression) -> exp.Expression:
        if isinstance(n, exp.Lambda) and any(p.name == name for p in n.expressions):
            return n.copy()  # (transform does not descend into what it returns replaced)
        if _reads_name(n, name):
            read = exp.column(renamed.name)
            return exp.Paren(this=exp.Add(this=read, expression=exp.Literal.number(by))) if by else read
        return n

    body = fn.this.copy().transform(shift)
    new = node.copy()
    new.set("expression", exp.Lambda(this=body, expressions=[fn.expressions[0].copy(), renamed]))
    return new


def _indexes_kept(tree: exp.Expression) -> exp.Expression:
    """A Spark body with each lambda index marked as Spark's own (see _index_shifted)."""
    def keep(n: exp.Expression) -> exp.Expression:
        indexed = isinstance(n, (exp.Transform, exp.ArrayFilter)) and _indexed(n.expression)
        return _index_shifted(n, by=0) if indexed else n

    while any(_indexed(n.expression) for n in tree.find_all(exp.Transform, exp.ArrayFilter)):
        tree = tree.transform(keep)
    return tree


def _reads_name(n: exp.Expression, name: str) -> bool:
    """Whether n reads the variable ``name`` (not a struct key, field or qualified column)."""
    if isinstance(n, exp.Column):
        return n.name == name and not n.table
    return isinstance(n, exp.Identifier) and n.name == name \
        and not isinstance(n.parent, (exp.Column, exp.Dot)) \
        and not (n.arg_key == "this" and isinstance(n.parent, exp.PropertyEQ))


def _is_slice(node: exp.Bracket) -> bool:
    return len(node.expressions) == 1 and isinstance(node.expressions[0], exp.Slice)


def _slice(node: exp.Bracket) -> exp.Expression:
    """DuckDB's list[a:b] (1-based, both ends included, either may be omitted) as Spark's
    slice(list, start, length)."""
    s: exp.Slice = node.expressions[0]
    lst = node.this
    start = s.this if s.this is not None else exp.Literal.number(1)
    size = exp.Anonymous(this="array_size", expressions=[lst.copy()])
    end = s.expression if s.expression is not None else size
    if isinstance(end, exp.Neg):  # [:-1]: up to the size minus one
        end = exp.Sub(this=size.copy(), expression=end.this)
    length = exp.Add(this=exp.Sub(this=end, expression=start.copy()), expression=exp.Literal.number(1))
    return exp.Anonymous(this="slice", expressions=[lst, start, length])


def _fn(name: str) -> object:
    return lambda args: exp.Anonymous(this=name, expressions=list(args))


# DuckDB types Spark lacks: 128-bit digests are kept as their hex text (md5_number's Spark
# body), unsigned hashes as Spark's signed 64-bit ones (xxhash64)
_TYPES = {exp.DataType.Type.INT128: "string", exp.DataType.Type.UINT128: "string",
          exp.DataType.Type.UBIGINT: "bigint", exp.DataType.Type.UINT: "bigint"}


def blob_view(variable: str) -> str:
    """The Spark view of the files listed in a run variable (filename, content)."""
    return f"blob__{variable}"


# DuckDB functions sqlglot passes through under their DuckDB name, with their Spark spelling
_FUNCTIONS: Mapping[str, object] = {
    # DuckDB's 64-bit hash: only ever compared with hashes of the same engine (MinHash)
    "hash": _fn("xxhash64"),
    "json_group_object": lambda args: exp.Anonymous(this="to_json", expressions=[
        exp.Anonymous(this="map_from_entries", expressions=[
            exp.Anonymous(this="collect_list", expressions=[
                exp.Anonymous(this="struct", expressions=list(args))])])]),
    "list_intersect": _fn("array_intersect"),
    # (the sum of an empty list is NULL in DuckDB)
    "list_sum": lambda args: exp.If(
        this=exp.GT(this=exp.Anonymous(this="array_size", expressions=[args[0].copy()]),
                    expression=exp.Literal.number(0)),
        true=exp.Anonymous(this="aggregate", expressions=[
            args[0], exp.Cast(this=exp.Literal.number(0), to=exp.DataType.build("bigint")),
            exp.Lambda(this=exp.Add(this=exp.column("acc"), expression=exp.column("x")),
                       expressions=[exp.to_identifier("acc"), exp.to_identifier("x")])]),
        false=exp.Null()),
    "list_reduce": lambda args: exp.Anonymous(this="aggregate", expressions=[args[0], args[2], args[1]]),
    "regexp_split_to_array": _fn("split"),
}

