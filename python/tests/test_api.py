"""The Python API against the CLI: the same objective, plan and prices on the bundled day and on
generated days; frames with the validator's named errors; the other commands; the GIL, progress
and Ctrl-C."""

import _thread
import json
import threading
import time

import pandas as pd
import pytest

import agora

from conftest import load


def assert_same_solution(py: agora.Solution, cli_file: dict):
    """The Python solution and the CLI's file: identical status, objective, plan, rows, pacing."""
    assert py.status == cli_file["status"]
    assert py.objective == cli_file["objective"]
    assert py.terms == cli_file["terms"]
    plan = pd.DataFrame(cli_file["plan"])
    pd.testing.assert_frame_equal(py.plan, plan)
    rows = pd.DataFrame(cli_file["constraints"])
    pd.testing.assert_frame_equal(py.constraints, rows)
    pd.testing.assert_frame_equal(py.pacing, pd.DataFrame(cli_file["pacing"]))
    # The whole document, timings aside.
    a, b = dict(py.raw), dict(cli_file)
    for doc in (a, b):
        doc.pop("seconds", None)
        doc.pop("iterations", None)
    assert a == b


def test_the_bundled_day_gives_the_clis_solution(example, cli, tmp_path):
    out = tmp_path / "solution.json"
    cli("solve", example, "--out", out)
    day = agora.Instance.from_json(example)
    assert day.shape == (6, 21, 86, 9)
    sol = agora.solve(day)
    assert sol.is_optimal
    assert_same_solution(sol, load(out))
    # Shadow prices are the rows' own: supply rows price an impression of supply.
    supply = sol.constraints.set_index("name").loc["supply[eu-teen]"]
    assert supply["shadow_price"] == supply["dual"] > 0
    # to_json writes exactly what it returns.
    written = tmp_path / "py.json"
    text = sol.to_json(written)
    assert written.read_text() == text


@pytest.mark.parametrize("size,seed,backend", [("tiny", 3, None), ("small", 7, None), ("small", 8, "clarabel"), ("medium", 2, None)])
def test_generated_days_give_the_clis_solution(cli, tmp_path, size, seed, backend):
    path = tmp_path / "day.json"
    cli("generate", "--size", size, "--seed", seed, "--out", path)
    out = tmp_path / "solution.json"
    extra = ["--backend", backend] if backend else []
    cli("solve", path, "--out", out, *extra)
    day = agora.Instance.from_json(path)
    # The generator is the same code: the same day from Python.
    assert agora.Instance.generate(size, seed).content_hash == day.content_hash
    assert_same_solution(agora.solve(day, backend=backend), load(out))


def frames_of(doc: dict):
    """The bundled day as pandas frames, the way a warehouse query would hand it over."""
    items = pd.DataFrame(doc["items"])  # creator / campaign columns with NaN where absent
    return dict(
        segments=pd.DataFrame(doc["segments"]),
        items=items,
        edges=pd.DataFrame(doc["edges"]),
        creators=pd.DataFrame(doc["creators"]),
        campaigns=pd.DataFrame(doc["campaigns"]),
        constraints=doc["constraints"],
        objective=doc["objective"],
        name=doc["name"],
    )


def test_frames_give_the_same_day_and_solution(example):
    doc = load(example)
    from_file = agora.Instance.from_json(example)
    from_frames = agora.Instance.from_frames(**frames_of(doc))
    assert from_frames.content_hash == from_file.content_hash
    assert agora.solve(from_frames).objective == agora.solve(from_file).objective
    # Dicts of columns work as well as DataFrames; missing creators are derived (group default).
    f = frames_of(doc)
    f["segments"] = {c: list(f["segments"][c]) for c in f["segments"].columns}
    del f["creators"]
    day = agora.Instance.from_frames(**f)
    assert day.shape == from_file.shape
    assert set(day.to_dict()["creators"][0]) == {"id", "group"}


def test_bad_frames_raise_the_validators_named_errors(example):
    doc = load(example)
    f = frames_of(doc)
    f["segments"].loc[1, "supply"] = -5.0
    with pytest.raises(agora.ValidationError) as e:
        agora.Instance.from_frames(**f)
    assert e.value.file == "<frames>"
    assert e.value.entity == 'segment "eu-adult"' and e.value.field == "supply"
    assert "must be > 0, got -5" in str(e.value)

    f = frames_of(doc)
    f["edges"].loc[3, "engagement"] = float("nan")  # a missing cell: reported missing
    f["edges"].loc[5, "item"] = "no-such-item"
    with pytest.raises(agora.ValidationError) as e:
        agora.Instance.from_frames(**f)
    fields = {(x.entity.split(" (")[0], x.field) for x in e.value.findings}
    assert ("edge #3", "engagement") in fields, e.value.findings
    assert any(x.field == "item" and "no-such-item" in x.message for x in e.value.findings), e.value.findings
    assert isinstance(e.value, ValueError)  # catchable as a ValueError too


def test_a_bad_file_is_named_with_its_field(tmp_path, example):
    doc = load(example)
    doc["campaigns"][0]["budget"] = -1
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(doc))
    with pytest.raises(agora.ValidationError) as e:
        agora.Instance.from_json(path)
    assert e.value.file == str(path)
    assert e.value.entity == 'campaign "acme-cookware"' and e.value.field == "budget"
    with pytest.raises(OSError):
        agora.Instance.from_json(tmp_path / "missing.json")


def test_bad_settings_name_the_field(example):
    day = agora.Instance.from_json(example)
    with pytest.raises(agora.SettingsError) as e:
        agora.solve(day, settings={"primal_tolerance": 1.0})
    assert e.value.field == "primal_tolerance"
    with pytest.raises(agora.SettingsError) as e:
        agora.solve(day, backend="simplex-please")
    assert e.value.field == "backend"
    with pytest.raises(agora.SettingsError) as e:
        agora.solve(day, settings={"no_such_setting": 1})
    assert "no_such_setting" in str(e.value)


def test_frontier_matches_the_cli(example, cli, tmp_path):
    cli("frontier", example, "--sweep", "ad-load.max_share=0.1..0.3", "--points", "5", "--out", tmp_path / "cli")
    seen = []
    f = agora.frontier(agora.Instance.from_json(example), "ad-load.max_share=0.1..0.3", points=5, progress=lambda d, t: seen.append((d, t)), out=tmp_path / "py")
    assert f.raw == load(tmp_path / "cli" / "frontier.json")
    assert (tmp_path / "py" / "frontier.csv").read_text() == (tmp_path / "cli" / "frontier.csv").read_text()
    assert (tmp_path / "py" / "index.html").read_text() == f.html
    assert list(f.points["ad-load.max_share"]) == [0.1, 0.15, 0.2, 0.25, 0.3]
    assert seen[-1] == (5, 5) and all(a[0] <= b[0] for a, b in zip(seen, seen[1:]))
    # The mapping form is the same sweep.
    g = agora.frontier(agora.Instance.from_json(example), {"ad-load.max_share": (0.1, 0.3)}, points=5, progress=False)
    assert g.raw == f.raw
    with pytest.raises(agora.RefusedError):
        agora.frontier(agora.Instance.from_json(example), "no-such-rule.max=0..1", points=3)
    # The CLI's limit holds here too: 160,000 points are refused before any solve.
    with pytest.raises(agora.RefusedError) as e:
        agora.frontier(agora.Instance.from_json(example), {"objective.revenue": (0, 20), "objective.quality": (0, 1)}, points=400, progress=False)
    assert "the limit is 100000" in str(e.value)


def test_report_matches_the_cli(example, cli, tmp_path):
    sol_path = tmp_path / "solution.json"
    cli("solve", example, "--out", sol_path)
    cli("report", example, sol_path, "--out", tmp_path / "cli")
    day = agora.Instance.from_json(example)
    rep = agora.report(day, agora.solve(day), out=tmp_path / "py")
    def untimed(doc):
        # Each rule price records how long its re-solve took.
        doc = dict(doc)
        doc["constraint_prices"] = [{k: v for k, v in p.items() if k != "seconds"} for p in doc["constraint_prices"]]
        return doc

    assert untimed(rep.raw) == untimed(load(tmp_path / "cli" / "report.json"))
    assert all(p["seconds"] >= 0 for p in rep.raw["constraint_prices"])
    for name in ["lorenz.svg", "topic_mix.svg", "shadow_prices.svg", "rule_prices.svg", "index.html", "binding_rules.csv", "gaps.csv"]:
        assert (tmp_path / "py" / name).read_bytes() == (tmp_path / "cli" / name).read_bytes(), name
    assert rep.html.startswith("<!DOCTYPE html>") and "What binds" in rep.html
    costliest = rep.rule_prices.sort_values("price", ascending=False).iloc[0]
    assert costliest["name"] == "topic-diversity"
    # A solution of another day is refused, by name.
    other = agora.Instance.generate("tiny", 3)
    with pytest.raises(agora.RefusedError) as e:
        agora.report(other, sol_path)
    assert "example-day" in str(e.value)


def test_an_infeasible_day_is_a_status_with_its_diagnosis(example):
    doc = load(example)
    for c in doc["constraints"]:
        if c["name"] == "revenue-floor":
            c["min"] = 1e7
    day = agora.Instance.from_dict(doc)
    sol = agora.solve(day)
    assert sol.status == "infeasible" and not sol.is_optimal
    assert sol.diagnosis is not None and "revenue-floor" in json.dumps(sol.diagnosis)
    d = agora.diagnose(day)
    assert d["feasible"] is False
    with pytest.raises(agora.RefusedError):
        agora.report(day, sol)


def test_export_writes_the_artifact_the_cli_writes(example, cli, tmp_path):
    sol_path = tmp_path / "solution.json"
    cli("solve", example, "--out", sol_path)
    cli("export", sol_path, "--instance", example, "--out", tmp_path / "cli")
    agora.export(agora.Instance.from_json(example), agora.Solution.from_json(sol_path), tmp_path / "py")
    names = sorted(p.name for p in (tmp_path / "cli").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "py").iterdir())
    for name in names:
        if name != "manifest.json":  # the manifest records its creation time
            assert (tmp_path / "py" / name).read_bytes() == (tmp_path / "cli" / name).read_bytes(), name
    a, b = load(tmp_path / "py" / "manifest.json"), load(tmp_path / "cli" / "manifest.json")
    a.pop("created_at"), b.pop("created_at")
    assert a == b


def test_the_gil_is_released_during_a_solve():
    day = agora.Instance.generate("medium", 5)
    done = threading.Event()
    result = {}

    def work():
        result["sol"] = agora.solve(day, backend="first-order")
        done.set()

    t = threading.Thread(target=work)
    t.start()
    ticks = 0
    while not done.is_set():
        ticks += 1  # Python code running in this thread while the other solves
        time.sleep(0.001)
    t.join()
    assert result["sol"].is_optimal
    assert ticks >= 20, f"the main thread ran only {ticks} times during the solve"


def test_ctrl_c_interrupts_a_long_horizon(example):
    day = agora.Instance.from_json(example)
    calls = []
    timer = threading.Timer(0.5, _thread.interrupt_main)
    timer.start()
    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        agora.horizon(day, days=3650, replicas=2, progress=lambda d, t: calls.append((d, t)))
    elapsed = time.monotonic() - start
    timer.cancel()
    # 14,600 days take about a minute; the interrupt ends the call within a poll or two.
    assert elapsed < 5, elapsed
    assert calls and calls[-1][1] == 3650 * 2 * 2 and calls[-1][0] < calls[-1][1]


def test_ctrl_c_interrupts_a_frontier():
    day = agora.Instance.generate("medium", 4)
    timer = threading.Timer(0.3, _thread.interrupt_main)
    timer.start()
    start = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        agora.frontier(day, "objective.revenue=0..40", points=400, progress=False)
    timer.cancel()
    assert time.monotonic() - start < 10


def test_horizon_matches_the_cli(example, cli, tmp_path):
    cli("horizon", example, "--days", "5", "--replicas", "2", "--out", tmp_path / "cli")
    h = agora.horizon(agora.Instance.from_json(example), days=5, replicas=2, progress=False, out=tmp_path / "py")
    assert h.raw == load(tmp_path / "cli" / "horizon.json")
    assert (tmp_path / "py" / "index.html").read_text() == h.html
    assert list(h.totals["policy"]) == ["engagement-only", "ecosystem"]
    # The CLI's bounds hold here too (they are the library's): refused before any day is solved.
    day = agora.Instance.from_json(example)
    for bad in [dict(days=0), dict(days=3651), dict(days=2, replicas=1001), dict(days=2, discount=1.5)]:
        with pytest.raises(agora.RefusedError, match="outside|must be in"):
            agora.horizon(day, progress=False, **bad)


def test_learning_horizon_with_a_policy_dict_matches_the_cli(root, cli, tmp_path):
    """A learning policy given as a dict, a warm start from the Open Bandit sample's logs,
    dynamics off: the same horizon.json as the CLI's with the same policy file."""
    obd = root / "data" / "obd" / "random" / "all"
    assert obd.is_dir(), f"{obd} missing: run `make data` (scripts/fetch-data.sh)"
    prefix = tmp_path / "obd"
    cli("import", "obd", obd, "--out", prefix)
    policy = {"schema": "agora.policy/v1", "name": "optimist", "engagement": "ucb"}
    (tmp_path / "optimist.json").write_text(json.dumps(policy))
    logs = f"{prefix}.logs.csv"
    cli("horizon", f"{prefix}.json", "--days", "4", "--replicas", "2", "--dynamics", "off", "--policy", "ecosystem",
        "--policy", tmp_path / "optimist.json", "--policy", "thompson", "--warm-start", logs, "--out", tmp_path / "cli")
    day = agora.Instance.from_json(f"{prefix}.json")
    h = agora.horizon(day, days=4, replicas=2, policies=["ecosystem", policy, "thompson"], dynamics="off", warm_start=logs,
                      progress=False, out=tmp_path / "py")
    assert h.raw == load(tmp_path / "cli" / "horizon.json")
    assert (tmp_path / "py" / "cumulative_regret.svg").read_text() == (tmp_path / "cli" / "cumulative_regret.svg").read_text()
    assert list(h.totals["engagement"]) == ["oracle", "ucb", "thompson"]
    regret = h.regret
    assert len(regret) == 3 * 4 and set(regret["policy"]) == {"ecosystem", "optimist", "thompson"}
    assert (regret[regret["engagement"] == "oracle"]["regret"] == 0).all()
    assert (regret["regret"] >= -1e-9).all()
    # An oracle-only horizon has no regret frame; a bad engagement is the validator's named error.
    assert agora.horizon(day, days=2, policies=["ecosystem"], dynamics="off", progress=False).regret.empty
    with pytest.raises(agora.ValidationError, match="unknown variant"):
        agora.horizon(day, days=2, policies=[dict(policy, engagement="optimistic")], progress=False)
    with pytest.raises(ValueError, match="learning policies"):
        agora.horizon(day, days=2, policies=["ecosystem"], warm_start=logs, progress=False)


def test_estimate_and_evaluate_match_the_cli_on_open_bandit_logs(root, cli, tmp_path):
    """The Open Bandit sample (fetched by `make data`, which `make test` runs first)."""
    obd = root / "data" / "obd" / "bts" / "all"
    assert obd.is_dir(), f"{obd} missing: run `make data` (scripts/fetch-data.sh)"
    prefix = tmp_path / "obd"
    cli("import", "obd", obd, "--segment-by", "position", "--out", prefix)
    logs, day_path = tmp_path / "obd.logs.csv", tmp_path / "obd.json"
    cli("estimate", logs, "--instance", day_path, "--out", tmp_path / "est.json")
    est = agora.estimate(logs, agora.Instance.from_json(day_path))
    assert est.to_json() == (tmp_path / "est.json").read_text()
    edges = est.edges
    assert (edges["engagement_lcb"] <= edges["engagement"]).all() and (edges["engagement"] <= edges["engagement_ucb"]).all()

    est_day = agora.Instance.from_json(tmp_path / "est.json")
    sol = agora.solve(est_day)
    sol.to_json(tmp_path / "sol.json")
    cli("evaluate", tmp_path / "sol.json", logs, "--instance", tmp_path / "est.json", "--out", tmp_path / "ev.json")
    py, cl = agora.evaluate(sol, logs, est_day), load(tmp_path / "ev.json")
    py.pop("policy", None), cl.pop("policy", None)  # the policy's label names the file
    assert py == cl
    uniform = agora.evaluate(None, logs, est_day)
    assert uniform["value"] > 0


def test_experiment_matches_the_cli(example, cli, tmp_path):
    change = {"schema": "agora.change/v1", "name": "ad load at most 15%", "set": {"ad-load.max_share": 0.15}}
    path = tmp_path / "change.json"
    path.write_text(json.dumps(change))
    cli("experiment", example, "--treatment", path, "--arrivals", "5000", "--replicas", "4", "--out", tmp_path / "cli")
    day = agora.Instance.from_json(example)
    e = agora.experiment(day, change, arrivals=5000, replicas=4, out=tmp_path / "py")
    cli_doc = load(tmp_path / "cli" / "experiment.json")
    # The same experiment; only the wall times differ.
    for doc in (cli_doc, e.raw):
        doc["truth"].pop("seconds")
        for d in doc["designs"]:
            d.pop("seconds")
    assert e.raw == cli_doc
    assert set(e.estimates["design"]) == {"user-split", "budget-split"}
    assert e.truth.set_index("metric").loc["objective", "effect"] < 0
    assert any(line.startswith("Use budget-split") for line in e.guidance)
    # A change that names nothing of the day is a ValidationError naming the field.
    with pytest.raises(agora.ValidationError, match="no constraint"):
        agora.experiment(day, {"schema": "agora.change/v1", "name": "x", "remove": ["nope"]})


def test_tables_are_the_clis_parquet_tables_and_the_solutions_numbers(example, cli, tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    sol_path, plan_path, rows_path = tmp_path / "solution.json", tmp_path / "plan.parquet", tmp_path / "rows.parquet"
    cli("solve", example, "--out", sol_path, "--out-plan", plan_path, "--out-rows", rows_path)
    day = agora.Instance.from_json(example)
    sol = agora.solve(day)
    plan, rows = sol.tables()
    # Arrow-backed columns, the CLI's tables exactly.
    assert all(isinstance(t, pd.ArrowDtype) for t in plan.dtypes)
    pd.testing.assert_frame_equal(plan, pq.read_table(plan_path).to_pandas(types_mapper=pd.ArrowDtype))
    pd.testing.assert_frame_equal(rows, pq.read_table(rows_path).to_pandas(types_mapper=pd.ArrowDtype))
    # The solution's own numbers: the plan and every row.
    assert list(plan["segment"]) == list(sol.plan["segment"]) and list(plan["impressions"]) == list(sol.plan["impressions"])
    supply = {s: v for s, v in zip(day.segments["id"], day.segments["supply"])}
    assert list(plan["share"]) == [x / supply[s] for s, x in zip(sol.plan["segment"], sol.plan["impressions"])]
    assert list(rows["name"]) == list(sol.constraints["name"]) and list(rows["dual"]) == list(sol.constraints["dual"])
    # A solution read from a file needs its instance named; the export writes Parquet edges too.
    read = agora.Solution.from_json(sol_path)
    with pytest.raises(ValueError):
        read.tables()
    pd.testing.assert_frame_equal(read.tables(day)[0], plan)
    agora.export(day, read, tmp_path / "art", format="parquet")
    assert sorted(p.name for p in (tmp_path / "art").iterdir()) == sorted(
        ["adjustments.csv", "checksum.sha256", "edges.parquet", "manifest.json", "pacing.csv", "segments.csv"]
    )
