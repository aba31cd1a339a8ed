"""agora: plan a day of exposure in a content marketplace, from Python.

The same solver, validator and outputs as the ``agora`` command line (docs/python.md)::

    import agora
    day = agora.Instance.from_json("instances/example-day.json")
    sol = agora.solve(day)
    sol.status, sol.objective          # 'optimal', 66873.377...
    sol.plan                           # DataFrame: segment, item, impressions
    sol.constraints                    # DataFrame: name, type, dual, shadow_price, ...
    sol.pacing                         # DataFrame: campaign, budget, spend, multiplier
    rep = agora.report(day, sol, out="report")   # report.json, charts, index.html

Instances also come from pandas frames (``Instance.from_frames``) with the validator's named
errors as :class:`agora.ValidationError`. Long calls release the GIL, show a progress bar in
notebooks (``tqdm``, when installed) and stop on Ctrl-C (``KeyboardInterrupt``).
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from typing import Any, Callable, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

import pandas as pd

from . import _agora
from .errors import AgoraError, Finding, RefusedError, SettingsError, SolveError, ValidationError

__all__ = [
    "Instance",
    "Solution",
    "Frontier",
    "Report",
    "Horizon",
    "Experiment",
    "solve",
    "frontier",
    "report",
    "diagnose",
    "export",
    "estimate",
    "evaluate",
    "horizon",
    "experiment",
    "AgoraError",
    "Finding",
    "ValidationError",
    "SettingsError",
    "SolveError",
    "RefusedError",
]

__version__: str = _agora.__version__

#: A table: a pandas DataFrame, a mapping of column name to values, or a sequence of row mappings.
FrameLike = Union[pd.DataFrame, Mapping[str, Sequence[Any]], Sequence[Mapping[str, Any]]]
#: Progress: True (a tqdm bar when tqdm is installed), False, or a callable ``f(done, total)``.
Progress = Union[bool, Callable[[int, int], None]]
PathLike = Union[str, "os.PathLike[str]"]


# ---------------------------------------------------------------------------------------------
# Frames in


def _missing(v: Any) -> bool:
    """None, NaN, pandas' NA/NaT: a cell with no value (sequences, e.g. tags, never are)."""
    if v is None:
        return True
    if isinstance(v, (str, bytes, list, tuple, dict)) or hasattr(v, "__len__"):
        return False
    try:
        return bool(pd.isna(v))
    except (TypeError, ValueError):
        return False


def _plain(v: Any) -> Any:
    """A JSON-ready value: numpy scalars and arrays become Python numbers and lists."""
    if hasattr(v, "tolist"):
        return v.tolist()
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):
        return v.item()
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if isinstance(v, Mapping):
        return {k: _plain(x) for k, x in v.items()}
    return v


def _records(table: Optional[FrameLike], what: str) -> List[Dict[str, Any]]:
    """The rows of ``table`` as dicts, missing cells (None, NaN) left out so that optional
    fields take their defaults and required ones are reported missing by the validator."""
    if table is None:
        return []
    if isinstance(table, pd.DataFrame):
        rows: Iterable[Mapping[str, Any]] = table.to_dict(orient="records")
    elif isinstance(table, Mapping):
        columns = list(table)
        lengths = {c: len(table[c]) for c in columns}
        if len(set(lengths.values())) > 1:
            raise ValidationError(
                f"<frames>: {what}: columns of different lengths {lengths}", "<frames>", [(what, "", f"columns of different lengths {lengths}")]
            )
        n = next(iter(lengths.values()), 0)
        rows = [{c: table[c][k] for c in columns} for k in range(n)]
    else:
        rows = list(table)
    out = []
    for k, row in enumerate(rows):
        if not isinstance(row, Mapping):
            raise ValidationError(f"<frames>: {what} row {k} is not a mapping", "<frames>", [(f"{what} row {k}", "", "is not a mapping")])
        out.append({str(c): _plain(v) for c, v in row.items() if not _missing(v)})
    return out


def _write_atomic(path: PathLike, text: str) -> None:
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".agora-", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def _settings_json(settings: Optional[Mapping[str, Any]]) -> Optional[str]:
    return None if settings is None else json.dumps(dict(settings))


def _progress_callback(progress: Progress, what: str) -> Optional[Callable[[int, int], None]]:
    """A callback that drives a tqdm bar (``tqdm.auto``: a widget in Jupyter, text elsewhere)."""
    if callable(progress):
        return progress
    if not progress:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:  # no bar without tqdm; the work is the same
        return None
    state: Dict[str, Any] = {}

    def update(done: int, total: int) -> None:
        bar = state.get("bar")
        if bar is None:
            bar = state["bar"] = tqdm(total=total or None, desc=what, unit="step")
        bar.update(done - bar.n)
        if total and done >= total:
            bar.close()

    return update


# ---------------------------------------------------------------------------------------------
# Instances


class Instance:
    """A validated day (``agora.instance/v1``): segments, creators, campaigns, items, edges,
    rules and the objective. Build one with :meth:`from_json`, :meth:`from_frames` or
    :meth:`generate`; invalid input raises :class:`ValidationError` naming the file, the entity
    and the field."""

    def __init__(self, native: "_agora.Instance"):
        self._native = native
        self._doc: Optional[Dict[str, Any]] = None

    @classmethod
    def from_json(cls, path: PathLike) -> "Instance":
        """Loads and validates an ``agora.instance/v1`` file (its columnar edges file too)."""
        return cls(_agora.Instance.from_json(os.fspath(path)))

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any], source: str = "<dict>") -> "Instance":
        """Validates an ``agora.instance/v1`` document given as a dict."""
        return cls(_agora.Instance.from_json_text(json.dumps(_plain(dict(doc))), source))

    @classmethod
    def from_frames(
        cls,
        *,
        segments: FrameLike,
        items: FrameLike,
        edges: FrameLike,
        constraints: Optional[Union[FrameLike, Sequence[Mapping[str, Any]]]] = None,
        objective: Optional[Mapping[str, float]] = None,
        creators: Optional[FrameLike] = None,
        campaigns: Optional[FrameLike] = None,
        name: str = "frames",
    ) -> "Instance":
        """A day from tables with the instance file's columns (docs/formats.md):

        - ``segments``: ``id``, ``supply``, optional ``tags`` (a list per row);
        - ``items``: ``id``, ``creator`` or ``campaign``, ``topic``, ``quality``, ``risk``,
          ``fresh``, optional ``cap``;
        - ``edges``: ``segment``, ``item``, ``engagement``, ``price``, optional ``cap``, ``n``,
          ``engagement_lcb``, ``engagement_ucb``;
        - ``creators``: ``id``, ``group`` (default: every creator the items name, in group
          ``default``); ``campaigns``: ``id``, ``budget``;
        - ``constraints``: one mapping per rule, as in the file; ``objective``: the weights.

        Missing cells (None, NaN) are left out, so optional fields take their defaults and
        required ones are reported missing. Errors are :class:`ValidationError` with
        ``file == "<frames>"``."""
        item_rows = _records(items, "items")
        if creators is None:
            seen: Dict[str, None] = {}
            for it in item_rows:
                if "creator" in it:
                    seen.setdefault(str(it["creator"]), None)
            creator_rows = [{"id": c} for c in seen]
        else:
            creator_rows = _records(creators, "creators")
        doc: Dict[str, Any] = {
            "schema": "agora.instance/v1",
            "name": name,
            "segments": _records(segments, "segments"),
            "creators": creator_rows,
            "campaigns": _records(campaigns, "campaigns"),
            "items": item_rows,
            "edges": _records(edges, "edges"),
            "constraints": _records(constraints, "constraints") if constraints is not None else [],
        }
        if objective is not None:
            doc["objective"] = _plain(dict(objective))
        return cls(_agora.Instance.from_json_text(json.dumps(doc), "<frames>"))

    @classmethod
    def generate(cls, size: str = "small", seed: int = 1) -> "Instance":
        """A generated day, as ``agora generate --size SIZE --seed SEED``."""
        return cls(_agora.Instance.generate(size, seed))

    @property
    def name(self) -> str:
        return self._native.name

    @property
    def shape(self) -> Tuple[int, int, int, int]:
        """(segments, items, edges, rules)."""
        return self._native.shape

    @property
    def content_hash(self) -> str:
        return self._native.content_hash

    @property
    def warnings(self) -> List[str]:
        return list(self._native.warnings)

    def to_json(self, path: Optional[PathLike] = None) -> str:
        """The ``agora.instance/v1`` text (edges inline); written atomically to ``path`` if given."""
        text = self._native.to_json()
        if path is not None:
            _write_atomic(path, text)
        return text

    def to_dict(self) -> Dict[str, Any]:
        if self._doc is None:
            self._doc = json.loads(self._native.to_json())
        return self._doc

    def _frame(self, key: str) -> pd.DataFrame:
        return pd.DataFrame(self.to_dict().get(key, []))

    @property
    def segments(self) -> pd.DataFrame:
        return self._frame("segments")

    @property
    def items(self) -> pd.DataFrame:
        return self._frame("items")

    @property
    def edges(self) -> pd.DataFrame:
        return self._frame("edges")

    def __repr__(self) -> str:
        return repr(self._native)


# ---------------------------------------------------------------------------------------------
# Outputs


class _Document:
    """An output of agora: its JSON text (exactly what the CLI writes) and the parsed dict."""

    def __init__(self, text: str):
        self._text = text
        self.raw: Dict[str, Any] = json.loads(text)

    def to_json(self, path: Optional[PathLike] = None) -> str:
        """The JSON text; written atomically to ``path`` if given."""
        if path is not None:
            _write_atomic(path, self._text)
        return self._text

    def _frame(self, key: str) -> pd.DataFrame:
        return pd.DataFrame(self.raw.get(key) or [])


class Solution(_Document):
    """An ``agora.solution/v1``: status, objective and its terms, the plan, every row with its
    dual and shadow price, the pacing multipliers."""

    def __init__(self, text: str, instance: Optional["Instance"] = None):
        super().__init__(text)
        self._instance = instance

    @classmethod
    def from_json(cls, path: PathLike) -> "Solution":
        with open(path, encoding="utf-8") as f:
            return cls(f.read())

    @property
    def status(self) -> str:
        """``optimal``, ``infeasible``, ``unbounded``, ``time_limit``, ``iteration_limit`` or
        ``numerical_error``."""
        return self.raw["status"]

    @property
    def is_optimal(self) -> bool:
        return self.status == "optimal"

    @property
    def objective(self) -> Optional[float]:
        return self.raw.get("objective")

    @property
    def terms(self) -> Dict[str, float]:
        """The objective's terms: engagement, quality, revenue, integrity_risk, regularization, penalties."""
        return dict(self.raw.get("terms") or {})

    @property
    def plan(self) -> pd.DataFrame:
        """Impressions per edge: ``segment``, ``item``, ``impressions``."""
        return self._frame("plan")

    @property
    def constraints(self) -> pd.DataFrame:
        """Every row of the model: ``name``, ``type``, ``activity``, ``bound``, ``slack``,
        ``violation``, ``dual``, ``shadow_price``, ``sense``, ``parameter``."""
        return self._frame("constraints")

    @property
    def pacing(self) -> pd.DataFrame:
        """Per campaign: ``budget``, ``spend``, ``budget_dual``, ``multiplier``."""
        return self._frame("pacing")

    @property
    def diagnosis(self) -> Optional[Dict[str, Any]]:
        """Why an infeasible day is infeasible (``agora.diagnosis/v1``), if it is."""
        return self.raw.get("diagnosis")

    def tables(self, instance: Optional[Instance] = None) -> Tuple[pd.DataFrame, pd.DataFrame]:
        """The plan and every row as Arrow-backed DataFrames, built natively (the Parquet tables
        of ``agora solve --out-plan --out-rows``, read by pyarrow; no per-row Python objects):
        the plan's ``segment``, ``item``, ``impressions``, ``share``, ``reduced_cost``; the rows'
        ``name``, ``type``, ``sense``, ``rule``, ``parameter``, ``activity``, ``bound``,
        ``slack``, ``violation``, ``dual``, ``shadow_price``. ``instance``: the day solved
        (default: the one :func:`solve` was given). Needs pyarrow."""
        day = instance if instance is not None else self._instance
        if day is None:
            raise ValueError("tables() needs the instance this solution is of: pass instance=")
        try:
            import pyarrow as pa
            import pyarrow.parquet as pq
        except ImportError as e:  # pragma: no cover - pyarrow is an optional dependency
            raise ImportError("Solution.tables needs pyarrow: pip install pyarrow") from e
        plan, rows = _agora.solution_tables(day._native, self._text)

        def frame(data: bytes) -> pd.DataFrame:
            return pq.read_table(pa.BufferReader(data)).to_pandas(types_mapper=pd.ArrowDtype)

        return frame(plan), frame(rows)

    def __repr__(self) -> str:
        return f"<agora.Solution {self.status}, objective {self.objective}>"


class _Page(_Document):
    def __init__(self, text: str, html: str):
        super().__init__(text)
        self.html: str = html

    def _repr_html_(self) -> str:  # Jupyter shows the page inline
        return self.html

    def save_html(self, path: PathLike) -> None:
        _write_atomic(path, self.html)


class Frontier(_Page):
    """An ``agora.frontier/v1``: the optimum as one or two parameters are swept."""

    @property
    def points(self) -> pd.DataFrame:
        """One row per point: the swept values, status, objective, metrics, shadow prices,
        ``efficient``, ``hot_start``."""
        rows = []
        for p in self.raw["points"]:
            row: Dict[str, Any] = dict(p["values"])
            row["status"] = p["status"]
            row["objective"] = p["objective"]
            for k, v in (p.get("metrics") or {}).items():
                row[k] = v
            for k, v in p["shadow_prices"].items():
                row[f"d/d {k}"] = v
            row["efficient"] = p["efficient"]
            row["hot_start"] = p["hot_start"]
            rows.append(row)
        return pd.DataFrame(rows)

    @property
    def knee(self) -> Optional[int]:
        return self.raw.get("knee")


class Report(_Page):
    """An ``agora.report/v1``: metrics, rule prices, binding rows, content gaps; ``html`` is the
    page (``index.html``)."""

    @property
    def overall(self) -> Dict[str, Any]:
        return dict(self.raw["overall"])

    @property
    def segments(self) -> pd.DataFrame:
        return self._frame("segments")

    @property
    def rule_prices(self) -> pd.DataFrame:
        return self._frame("constraint_prices")

    @property
    def binding_rules(self) -> pd.DataFrame:
        return self._frame("binding_rules")

    @property
    def gaps(self) -> pd.DataFrame:
        return self._frame("gaps")


class Horizon(_Page):
    """An ``agora.horizon/v1``: many days of each policy; ``summary`` says which wins."""

    @property
    def summary(self) -> str:
        return self.raw["summary"]

    @property
    def totals(self) -> pd.DataFrame:
        rows = []
        for p in self.raw["policies"]:
            row: Dict[str, Any] = {"policy": p["name"], "days": p["days_completed"]}
            if "engagement" in p:
                row["engagement"] = p["engagement"]
            for k, v in p["totals"].items():
                row[k] = v["mean"]
                row[f"{k}_ci95"] = v["ci95"]
            rows.append(row)
        return pd.DataFrame(rows)

    @property
    def regret(self) -> pd.DataFrame:
        """One row per policy and day when a policy learns (else empty): ``optimum``,
        ``earned``, ``regret``, ``cumulative_regret``, ``violations`` and ``floor_cost``, the
        means over replicas, each with its ``_ci95``."""
        names = ["optimum", "earned", "regret", "cumulative_regret", "violations", "floor_cost"]
        rows = []
        for p in self.raw["policies"]:
            series = p["series"]
            if "regret" not in series:
                continue
            for d in range(p["days_completed"]):
                row: Dict[str, Any] = {"policy": p["name"], "engagement": p["engagement"], "day": d}
                for k in names:
                    row[k] = series[k]["mean"][d]
                    row[f"{k}_ci95"] = series[k]["ci95"][d]
                rows.append(row)
        return pd.DataFrame(rows)


class Experiment(_Page):
    """An ``agora.experiment/v1``: a rule change's truth and each design's estimate of it."""

    @property
    def summary(self) -> str:
        return self.raw["summary"]

    @property
    def guidance(self) -> List[str]:
        """Which design is unbiased for this change on this day, and why."""
        return list(self.raw["guidance"])

    @property
    def truth(self) -> pd.DataFrame:
        """One row per metric: its value under the control and the treatment rules, and the
        effect (the global treatment effect), and whether the effect is the same at every optimal
        plan (``identified``; not, where the day's ties decide it)."""
        t = self.raw["truth"]
        return pd.DataFrame(
            [
                {"metric": m, "control": t["control"][m], "treatment": t["treatment"][m], "effect": t["effect"][m], "identified": t["identified"][m]}
                for m in t["control"]
            ]
        )

    @property
    def estimates(self) -> pd.DataFrame:
        """One row per design and metric it estimates: target, estimate, bias, relative bias,
        standard error, power and the arms' values."""
        rows = []
        for d in self.raw["designs"]:
            for e in d["estimates"]:
                rows.append({"design": d["design"], **e})
        return pd.DataFrame(rows)


def _solution_text(solution: Union[Solution, str, "os.PathLike[str]"]) -> str:
    if isinstance(solution, Solution):
        return solution.to_json()
    with open(os.fspath(solution), encoding="utf-8") as f:
        return f.read()


# ---------------------------------------------------------------------------------------------
# The commands


def solve(
    instance: Instance,
    backend: Optional[str] = None,
    settings: Optional[Mapping[str, Any]] = None,
    time_limit: Optional[float] = None,
) -> Solution:
    """Solves the day (``agora solve``). ``backend``: ``auto`` (the default), ``highs``,
    ``clarabel`` or ``first-order``; ``settings``: the settings file's fields (docs/settings.md).
    A day without an optimum is a :class:`Solution` whose ``status`` says so (an infeasible day
    carries its ``diagnosis``); errors are exceptions."""
    return Solution(_agora.solve(instance._native, _settings_json(settings), backend, time_limit), instance)


def frontier(
    instance: Instance,
    sweeps: Union[str, Sequence[str], Mapping[str, Tuple[float, float]]],
    points: Union[int, Sequence[int]] = 11,
    backend: Optional[str] = None,
    settings: Optional[Mapping[str, Any]] = None,
    time_limit: Optional[float] = None,
    hot_start: bool = True,
    progress: Progress = True,
    out: Optional[PathLike] = None,
) -> Frontier:
    """Sweeps one or two parameters (``agora frontier``). ``sweeps``: ``"PARAM=FROM..TO"``
    strings as on the command line, or ``{"PARAM": (FROM, TO)}``; ``points``: one count for all
    or one per sweep. Writes the directory ``out`` (JSON, CSV, SVG, index.html) when given."""
    if isinstance(sweeps, str):
        specs = [sweeps]
    elif isinstance(sweeps, Mapping):
        specs = [f"{k}={float(a)!r}..{float(b)!r}" for k, (a, b) in sweeps.items()]
    else:
        specs = list(sweeps)
    counts = [points] if isinstance(points, int) else list(points)
    text, html = _agora.frontier(
        instance._native,
        specs,
        counts,
        _settings_json(settings),
        backend,
        time_limit,
        hot_start,
        _progress_callback(progress, "frontier points"),
        None if out is None else os.fspath(out),
    )
    return Frontier(text, html)


def report(
    instance: Instance,
    solution: Union[Solution, PathLike],
    backend: Optional[str] = None,
    settings: Optional[Mapping[str, Any]] = None,
    gap_profile: str = "mean",
    rule_prices: bool = True,
    out: Optional[PathLike] = None,
) -> Report:
    """The ecosystem report of an optimal solution (``agora report``); ``rule_prices=False``
    skips the re-solves. Writes the directory ``out`` (report.json, charts, index.html) when given."""
    text, html = _agora.report(
        instance._native,
        _solution_text(solution),
        _settings_json(settings),
        backend,
        gap_profile,
        rule_prices,
        None if out is None else os.fspath(out),
    )
    return Report(text, html)


def diagnose(
    instance: Instance, backend: Optional[str] = None, settings: Optional[Mapping[str, Any]] = None, relax_physical: bool = False
) -> Dict[str, Any]:
    """Why the day is infeasible (``agora diagnose``): the ``agora.diagnosis/v1`` document."""
    return json.loads(_agora.diagnose(instance._native, _settings_json(settings), backend, relax_physical))


def export(instance: Instance, solution: Union[Solution, PathLike], out: PathLike, format: str = "csv") -> None:
    """Writes the serving artifact of an optimal solution (``agora export``) to the directory
    ``out``; ``format="parquet"`` writes its per-edge file as ``edges.parquet``."""
    _agora.export(instance._native, _solution_text(solution), os.fspath(out), format)


def estimate(logs: PathLike, instance: Instance, estimator: str = "snips", prior: str = "empirical-bayes") -> Instance:
    """The day with engagement estimated from logged feedback (``agora estimate``)."""
    return Instance(_agora.estimate(os.fspath(logs), instance._native, estimator, prior))


def evaluate(
    solution: Optional[Union[Solution, PathLike]], logs: PathLike, instance: Instance, estimator: str = "snips"
) -> Dict[str, Any]:
    """The off-policy value of a plan on logs (``agora evaluate``); ``solution=None``
    evaluates the uniform policy. The ``agora.evaluation/v1`` document."""
    text = None if solution is None else _solution_text(solution)
    return json.loads(_agora.evaluate(text, os.fspath(logs), instance._native, estimator))


def _spec(value: Union[str, "os.PathLike[str]", Mapping[str, Any]]) -> Tuple[str, str]:
    """A policy or dynamics as the native module takes it: a document's JSON text, or a
    built-in name or a file's path."""
    if isinstance(value, Mapping):
        return ("json", json.dumps(dict(value)))
    return ("spec", os.fspath(value))


def horizon(
    instance: Instance,
    days: int,
    policies: Sequence[Union[str, "os.PathLike[str]", Mapping[str, Any]]] = ("engagement-only", "ecosystem"),
    replicas: int = 1,
    seed: int = 1,
    discount: float = 0.99,
    settings: Optional[Mapping[str, Any]] = None,
    progress: Progress = True,
    out: Optional[PathLike] = None,
    dynamics: Optional[Union[str, "os.PathLike[str]", Mapping[str, Any]]] = None,
    warm_start: Optional[PathLike] = None,
    warm_start_estimator: str = "snips",
    warm_start_prior: str = "empirical-bayes",
) -> Horizon:
    """Simulates ``days`` days of each policy (``agora horizon``). A policy is a built-in name
    (``ecosystem``, ``engagement-only``, ``greedy``, ``lcb``, ``ucb``, ``thompson``), a policy
    file's path, or an ``agora.policy/v1`` document as a dict (``{"schema": "agora.policy/v1",
    "name": "ucb-floor", "engagement": "ucb", ...}``). ``dynamics``: ``None`` (the defaults),
    ``"off"``, a dynamics file's path or an ``agora.dynamics/v1`` dict. ``warm_start``: an
    ``agora.logs/v1`` file the learning policies start from. Writes the directory ``out`` when
    given."""
    text, html = _agora.horizon(
        instance._native,
        days,
        [_spec(p) for p in policies],
        replicas,
        seed,
        discount,
        _settings_json(settings),
        _progress_callback(progress, "days"),
        None if out is None else os.fspath(out),
        None if dynamics is None else _spec(dynamics),
        None if warm_start is None else os.fspath(warm_start),
        warm_start_estimator,
        warm_start_prior,
    )
    return Horizon(text, html)


def experiment(
    instance: Instance,
    treatment: Union[Mapping[str, Any], Instance, str, "os.PathLike[str]"],
    designs: Sequence[str] = ("user-split", "budget-split", "creator-split"),
    fraction: float = 0.5,
    creators: Optional[Sequence[str]] = None,
    days: int = 28,
    warm_up: int = 14,
    block: int = 7,
    burn_in: int = 1,
    arrivals: Optional[int] = None,
    replicas: int = 20,
    seed: int = 1,
    settings: Optional[Mapping[str, Any]] = None,
    out: Optional[PathLike] = None,
) -> Experiment:
    """Tests a rule change before launch (``agora experiment``): the truth (both rule sets on the
    whole market) and each design's estimate, bias and, with ``arrivals``, standard error and
    power. ``treatment``: an ``agora.change/v1`` document (a dict), a changed day (an
    :class:`Instance`), or the path of either file. Writes the directory ``out`` when given."""
    if isinstance(treatment, Instance):
        text = treatment.to_json()
    elif isinstance(treatment, Mapping):
        text = json.dumps(dict(treatment))
    else:
        with open(os.fspath(treatment), encoding="utf-8") as f:
            text = f.read()
    body, html = _agora.experiment(
        instance._native,
        text,
        list(designs),
        fraction,
        None if creators is None else list(creators),
        days,
        warm_up,
        block,
        burn_in,
        arrivals,
        replicas,
        seed,
        _settings_json(settings),
        None if out is None else os.fspath(out),
    )
    return Experiment(body, html)
