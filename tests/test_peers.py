"""Peer sets, percentile ranks and closest precedents (riskscore.analysis.peers), and the memo's peer section.

Ranks and distances are checked by hand on small synthetic assessments; the CLI tests use
WeDoctor and its six health-tech peers in companies/.
"""

from __future__ import annotations

import math
import re
import shutil
import statistics
import xml.etree.ElementTree as ET
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from riskscore.analysis import peers as pr
from riskscore.cli.app import app
from riskscore.errors import InputError
from riskscore.profile.load import load_profile
from riskscore.profile.model import ListingOutcome
from riskscore.scoring.contract import Metric, RubricResult
from riskscore.scoring.engine import RubricOutcome
from riskscore.scoring.scale import band_for

ROOT = Path(__file__).resolve().parents[1]
COMPANIES = ROOT / "companies"
WEDOCTOR = COMPANIES / "wedoctor.yaml"
# The committed history (issue 13): 28 companies. tag:health-tech is WeDoctor's peer set (23 besides it);
# the other four are a clinic chain, two testing labs and a medical-aesthetics platform.
PEER_IDS = ["111-inc", "airdoc", "brainaurora", "diagens", "dingdang-health", "infervision", "jd-health", "jiankang-160",
            "jiankang-zhilu", "jianke", "keya-medical", "meditrust-health", "neusoft-xikang", "ping-an-good-doctor", "pomdoctor",
            "qingsong-health", "quanyuantang", "shukun", "sipai-health", "taimei-medical", "waterdrop", "yaoshibang", "zhiyun-health"]
NOT_HEALTH_TECH = ["distinct-healthcare", "mega-genomics", "soyoung", "youxun-medical"]
US_LISTED = ["111-inc", "pomdoctor", "soyoung", "waterdrop"]
ALL_IDS = sorted(PEER_IDS + NOT_HEALTH_TECH + ["wedoctor"])
PEER_NAMES = [load_profile(COMPANIES / f"{pid}.yaml").company.name for pid in PEER_IDS]
runner = CliRunner()


def run(*args: Any):  # type: ignore[no-untyped-def]
    return runner.invoke(app, [str(a) for a in args])


# --------------------------------------------------------------------------- synthetic assessments

RUBRICS = ("a", "b", "c")


def _outcome(rid: str, score: float | None, metrics: tuple[Metric, ...] = ()) -> RubricOutcome:
    band = band_for(score) if score is not None else None
    return RubricOutcome(
        id=rid, title=f"Rubric {rid.upper()}", version="1", status="scored" if score is not None else "no_data",
        configured_weight=1.0, weight=0.0, score=score, band=band, contribution=0.0, coverage=1.0,
        result=RubricResult(score=score, band=band, metrics=list(metrics)) if (score is not None or metrics) else None,
    )


def assessment(scores: dict[str, float | None], metrics: dict[str, tuple[Metric, ...]] | None = None,
               rubrics: tuple[str, ...] = RUBRICS, adjusted: float = 50.0) -> SimpleNamespace:
    metrics = metrics or {}
    return SimpleNamespace(rubrics=[_outcome(r, scores.get(r), metrics.get(r, ())) for r in rubrics],
                           adjusted_score=adjusted, adjusted_band="Elevated")


def peer(pid: str, scores: dict[str, float | None], outcome: ListingOutcome | None = None, **kw: Any) -> pr.Peer:
    profile = SimpleNamespace(id=pid, company=SimpleNamespace(name=pid.title()), outcome=outcome)
    return pr.Peer(f"{pid}.yaml", profile, assessment(scores, **kw))


def metric(mid: str, value: float | None, unit: str = "%", display: str | None = None) -> Metric:
    return Metric(id=mid, label=mid, value=value, unit=unit, display=display)


# --------------------------------------------------------------------------- resolve


def _write_profile(directory: Path, make_profile_data, pid: str, tags: list[str], name: str | None = None) -> Path:  # type: ignore[no-untyped-def]
    data = make_profile_data({"id": pid, "tags": tags, "company": {"name": pid.title()}})
    path = directory / f"{name or pid}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def test_resolve_ids_comma_list_with_whitespace() -> None:
    paths = pr.resolve(" jd-health ,zhiyun-health , ", WEDOCTOR, "wedoctor")
    assert paths == [COMPANIES / "jd-health.yaml", COMPANIES / "zhiyun-health.yaml"]
    assert pr.resolve("jianke", WEDOCTOR, "wedoctor") == [COMPANIES / "jianke.yaml"]


def test_resolve_ids_are_looked_up_next_to_the_company_not_the_working_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert pr.resolve("jd-health", WEDOCTOR, "wedoctor") == [COMPANIES / "jd-health.yaml"]


def test_resolve_directory_excludes_the_company_own_file(tmp_path: Path) -> None:
    for pid in ("wedoctor", "jd-health", "zhiyun-health"):
        shutil.copy(COMPANIES / f"{pid}.yaml", tmp_path / f"{pid}.yaml")
    company = tmp_path / "wedoctor.yaml"
    assert pr.resolve(str(tmp_path), company, "wedoctor") == [tmp_path / "jd-health.yaml", tmp_path / "zhiyun-health.yaml"]
    # companies/ itself: every other profile, never WeDoctor's own file
    assert [p.stem for p in pr.resolve(str(COMPANIES), WEDOCTOR, "wedoctor")] == [i for i in ALL_IDS if i != "wedoctor"]


def test_resolve_tag_on_the_committed_companies() -> None:
    assert [p.stem for p in pr.resolve("tag:health-tech", WEDOCTOR, "wedoctor")] == PEER_IDS
    assert [p.stem for p in pr.resolve("tag:hkex", WEDOCTOR, "wedoctor")] == [i for i in ALL_IDS if i not in US_LISTED + ["wedoctor"]]
    assert [p.stem for p in pr.resolve("tag:us-ipo", WEDOCTOR, "wedoctor")] == US_LISTED
    assert [p.stem for p in pr.resolve("tag:chapter-18a", WEDOCTOR, "wedoctor")] == ["airdoc", "brainaurora", "diagens"]


def test_resolve_tag_selects_only_profiles_carrying_it(tmp_path: Path, make_profile_data) -> None:  # type: ignore[no-untyped-def]
    me = _write_profile(tmp_path, make_profile_data, "me", ["fintech", "hkex"])
    _write_profile(tmp_path, make_profile_data, "alpha", ["fintech"])
    _write_profile(tmp_path, make_profile_data, "beta", ["health-tech", "hkex"])
    _write_profile(tmp_path, make_profile_data, "gamma", ["hkex", "fintech"])
    _write_profile(tmp_path, make_profile_data, "delta", [])
    assert [p.stem for p in pr.resolve("tag:fintech", me, "me")] == ["alpha", "gamma"]
    assert [p.stem for p in pr.resolve("tag:hkex", me, "me")] == ["beta", "gamma"]
    # the company is excluded by its id, whatever its file is called
    renamed = _write_profile(tmp_path, make_profile_data, "me", ["fintech"], name="zz-me-copy")
    assert renamed not in pr.resolve("tag:fintech", me, "me")


def _error(spec: str, company: Path = WEDOCTOR, company_id: str = "wedoctor") -> str:
    with pytest.raises(InputError) as info:
        pr.resolve(spec, company, company_id)
    return str(info.value)


def test_resolve_unknown_id_names_it() -> None:
    message = _error("nope")
    assert "--peers" in message and "nope" in message and "tag:NAME" in message
    message = _error("jd-health, no-such-peer")
    assert "no-such-peer" in message and "jd-health:" not in message


def test_resolve_empty_directory_names_it(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    message = _error(str(empty))
    assert str(empty) in message and "no other profile" in message


def test_resolve_directory_with_only_the_company_is_refused(tmp_path: Path) -> None:
    shutil.copy(WEDOCTOR, tmp_path / "wedoctor.yaml")
    message = _error(str(tmp_path), tmp_path / "wedoctor.yaml")
    assert str(tmp_path) in message and "no other profile" in message


def test_resolve_unknown_tag_names_it() -> None:
    message = _error("tag:fintech")
    assert "tag:fintech" in message and "'fintech'" in message and str(COMPANIES) in message


# --------------------------------------------------------------------------- percentile ranks


def _row(rows: list[pr.Rank], label: str) -> pr.Rank:
    return next(r for r in rows if r.label == label)


def test_rank_counts_peers_below_and_ties_as_half() -> None:
    company = assessment({"a": 50.0, "b": 50.0, "c": 50.0})
    peers = [
        peer("p1", {"a": 10.0, "b": 50.0, "c": 60.0}),
        peer("p2", {"a": 20.0, "b": 50.0, "c": 70.0}),
        peer("p3", {"a": 50.0, "b": 90.0, "c": 80.0}),
        peer("p4", {"a": 90.0, "b": 10.0, "c": 90.0}),
    ]
    rows = pr.ranks(company, peers)
    a, b, c = (_row(rows, f"Rubric {x}") for x in "ABC")
    assert a.percentile == 100 * (2 + 0.5 * 1) / 4 == 62.5      # two below, one tie
    assert b.percentile == 100 * (1 + 0.5 * 2) / 4 == 50.0      # one below, two ties
    assert c.percentile == 0.0                                   # all above
    assert (a.peers_with_data, a.company_value, a.value, a.kind) == (4, 50.0, "50.0", "score")
    assert sorted(a.peer_values) == [10.0, 20.0, 50.0, 90.0]


@pytest.mark.parametrize("min_peers,expected", [(1, 62.5), (4, 62.5), (5, None)])
def test_percentile_needs_a_minimum_of_peers_with_the_figure(min_peers: int, expected: float | None) -> None:
    company = assessment({"a": 50.0})
    peers = [peer(f"p{i}", {"a": v}) for i, v in enumerate([90.0, 10.0, 50.0, 20.0])]
    a = _row(pr.ranks(company, peers, min_peers=min_peers), "Rubric A")
    assert a.percentile == expected and a.peers_with_data == 4
    assert a.too_few is (expected is None)
    assert a.peer_values_text == "10.0, 20.0, 50.0, 90.0"  # lowest first: what the memo shows in place of a percentile


def test_metric_peer_values_carry_their_unit() -> None:
    metrics = {"margin": (metric("gross_margin", 13.4),)}
    company = assessment({"margin": 50.0}, metrics=metrics, rubrics=("margin",))
    peers = [pr.Peer("p.yaml", SimpleNamespace(id="p", company=SimpleNamespace(name="P"), outcome=None),
                     assessment({"margin": 40.0}, metrics={"margin": (metric("gross_margin", 25.9),)}, rubrics=("margin",)))]
    row = _row(pr.ranks(company, peers, min_peers=5), "Consolidated gross margin")
    assert (row.percentile, row.peer_values_text) == (None, "25.9%")


def test_heaviest_rubrics_no_peer_has() -> None:
    company = assessment({"a": 50.0, "b": 50.0, "c": 50.0})
    weights = {"a": 20.0, "b": 20.0, "c": 10.0}
    company.rubrics = [o.model_copy(update={"configured_weight": weights[o.id]}) for o in company.rubrics]
    titles, share, count = pr.uncovered_heaviest(company, [peer("p", {"b": 10.0, "c": 5.0})])
    assert (titles, share, count) == (["Rubric A"], 0.4, 2)
    assert pr.uncovered_heaviest(company, [peer("p", {"a": 1.0, "b": 10.0})])[0] == []


def test_rank_is_rounded_to_one_decimal() -> None:
    rows = pr.ranks(assessment({"a": 50.0}), [peer("p1", {"a": 10.0}), peer("p2", {"a": 60.0}), peer("p3", {"a": 70.0})])
    assert _row(rows, "Rubric A").percentile == 33.3
    rows = pr.ranks(assessment({"a": 50.0}), [peer("p1", {"a": 10.0}), peer("p2", {"a": 20.0}), peer("p3", {"a": 70.0})])
    assert _row(rows, "Rubric A").percentile == 66.7


def test_peers_without_the_figure_do_not_count() -> None:
    company = assessment({"a": 40.0, "b": 40.0})
    peers = [peer("p1", {"a": 30.0}), peer("p2", {"a": 50.0, "b": 10.0}), peer("p3", {})]
    rows = pr.ranks(company, peers)
    a, b, c = (_row(rows, f"Rubric {x}") for x in "ABC")
    assert (a.percentile, a.peers_with_data) == (50.0, 2)   # p3 has no score: not counted as 0
    assert (b.percentile, b.peers_with_data) == (100.0, 1)
    # nobody has C: the row is kept, with no percentile
    assert (c.percentile, c.peers_with_data, c.value, c.company_value) == (None, 0, "—", None)


def test_company_missing_a_figure_has_no_percentile() -> None:
    company = assessment({"a": 40.0, "b": None})
    rows = pr.ranks(company, [peer("p1", {"a": 30.0, "b": 20.0}), peer("p2", {"a": 60.0, "b": 80.0})])
    b = _row(rows, "Rubric B")
    assert b.percentile is None and b.company_value is None and b.value == "—"
    assert b.peers_with_data == 2 and sorted(b.peer_values) == [20.0, 80.0]


def test_no_peers_with_a_figure_gives_no_percentile() -> None:
    rows = pr.ranks(assessment({"a": 40.0}), [])
    assert _row(rows, "Rubric A").percentile is None and _row(rows, "Rubric A").peers_with_data == 0


def test_key_metric_ranks() -> None:
    ids = ("customer_concentration", "margin")

    def with_metrics(share: float | None, margin: float | None) -> dict[str, tuple[Metric, ...]]:
        return {"customer_concentration": (metric("largest_customer_share", share),),
                "margin": (metric("gross_margin", margin), metric("core_segment_gross_margin", None))}

    company = assessment({"customer_concentration": 70.0, "margin": 40.0}, with_metrics(40.0, None), rubrics=ids)
    peers = [peer("p1", {"customer_concentration": 20.0, "margin": 30.0}, metrics=with_metrics(10.0, 25.0), rubrics=ids),
             peer("p2", {"customer_concentration": 90.0, "margin": 35.0}, metrics=with_metrics(40.0, 30.0), rubrics=ids),
             peer("p3", {"customer_concentration": None, "margin": 20.0}, metrics=with_metrics(None, 35.0), rubrics=ids)]
    rows = pr.ranks(company, peers)
    share = _row(rows, "Largest customer share")
    assert (share.kind, share.value, share.company_value) == ("metric", "40.0%", 40.0)
    assert (share.percentile, share.peers_with_data) == (75.0, 2)          # one below, one tie; p3 has no figure
    margin = _row(rows, "Consolidated gross margin")
    assert (margin.value, margin.percentile, margin.peers_with_data) == ("—", None, 3)  # the company lacks it
    labels = [r.label for r in rows]
    assert "Core segment gross margin" not in labels                        # nobody has it: no row
    assert "R&D intensity" not in labels                                    # rubric not run at all
    assert labels[:2] == ["Rubric CUSTOMER_CONCENTRATION", "Rubric MARGIN"]  # scores first, then metrics


def test_key_metric_uses_its_display_text() -> None:
    ids = ("redemption_overhang",)
    company = assessment({"redemption_overhang": 80.0},
                         {"redemption_overhang": (metric("claim_ratio_listing_fails", 4.549, "×", "≥ 4.55×"),)}, rubrics=ids)
    others = [peer("p1", {"redemption_overhang": 10.0}, metrics={"redemption_overhang": (metric("claim_ratio_listing_fails", 1.2, "×"),)}, rubrics=ids)]
    row = _row(pr.ranks(company, others), "Redemption claim ratio (listing fails)")
    assert (row.value, row.percentile, row.peers_with_data) == ("≥ 4.55×", 100.0, 1)


def test_ranks_on_the_committed_companies() -> None:
    """WeDoctor among its 23 health-tech peers: the figures in reports/peers/wedoctor.md, by hand."""
    from riskscore.scoring import registry
    from riskscore.scoring.config import load_config
    from riskscore.scoring.engine import assess

    config = load_config(None)
    rubrics = registry.select(config)
    company = assess(load_profile(WEDOCTOR), config, rubrics)
    peers = pr.load(pr.resolve("tag:health-tech", WEDOCTOR, "wedoctor"), config, rubrics, "wedoctor")
    rows = pr.ranks(company, peers)
    losses = _row(rows, "Losses and cash burn")
    assert losses.peers_with_data == 21
    below = sum(1 for v in losses.peer_values if v < losses.company_value)  # type: ignore[operator]
    ties = sum(1 for v in losses.peer_values if v == losses.company_value)
    assert losses.percentile == round(100 * (below + 0.5 * ties) / 21, 1)
    # issue 13: WeDoctor's three heaviest risks are compared against at least five peers each
    for title, count in (("Customer concentration", 5), ("Governance violations", 21), ("Redemption overhang", 5)):
        row = _row(rows, title)
        assert row.peers_with_data == count and not row.too_few
        assert row.percentile == 100.0  # WeDoctor scores above every peer on each


# --------------------------------------------------------------------------- precedents

COMPANY = {"a": 10.0, "b": 20.0, "c": 30.0}


def _standardise(rows: list[dict[str, float | None]]) -> list[dict[str, float | None]]:
    """z-scores per rubric over the rows that have it (population standard deviation, as StandardScaler)."""
    out: list[dict[str, float | None]] = [{} for _ in rows]
    for rid in RUBRICS:
        values = [r[rid] for r in rows if r.get(rid) is not None]
        mean = statistics.fmean(values)  # type: ignore[arg-type]
        sd = statistics.pstdev(values) or 1.0  # type: ignore[arg-type]
        for i, r in enumerate(rows):
            out[i][rid] = None if r.get(rid) is None else (r[rid] - mean) / sd  # type: ignore[operator]
    return out


def _nan_euclidean(x: dict[str, float | None], y: dict[str, float | None], n_features: int) -> float:
    common = [k for k in x if x[k] is not None and y.get(k) is not None]
    return math.sqrt(n_features / len(common) * sum((x[k] - y[k]) ** 2 for k in common))  # type: ignore[operator]


def test_distance_is_nan_euclidean_over_standardised_scores() -> None:
    others = {"p1": {"a": 40.0, "b": 20.0, "c": 30.0}, "p2": {"a": 10.0, "b": 20.0, "c": 60.0},
              "p3": {"a": 90.0, "b": 90.0, "c": 90.0}, "p4": {"a": 20.0, "b": None, "c": 40.0}}
    z = _standardise([COMPANY, *others.values()])
    expected = {pid: round(_nan_euclidean(z[0], z[i], 3), 3) for i, pid in enumerate(others, start=1)}
    found = pr.precedents(assessment(COMPANY), [peer(pid, s) for pid, s in others.items()], k=10, min_common=2)
    assert {p.id: p.distance for p in found} == pytest.approx(expected, abs=1e-3)
    assert {p.id: p.common for p in found} == {"p1": 3, "p2": 3, "p3": 3, "p4": 2}
    assert {p.id: p.compared for p in found} == {"p1": ("a", "b", "c"), "p2": ("a", "b", "c"), "p3": ("a", "b", "c"), "p4": ("a", "c")}
    # p4 is compared on two rubrics, scaled up by 3/2 for the one left out
    assert expected["p4"] == pytest.approx(math.sqrt(1.5 * ((z[0]["a"] - z[4]["a"]) ** 2 + (z[0]["c"] - z[4]["c"]) ** 2)), abs=1e-3)  # type: ignore[operator]


def test_standardisation_matters() -> None:
    """A 10-point gap on a rubric where everyone is alike counts more than the same gap on one where
    scores spread widely. (Rubric C, which nobody was scored on, is left out of the space.)"""
    company = assessment({"a": 50.0, "b": 50.0})
    others = [peer("narrow", {"a": 60.0, "b": 50.0}),   # 10 off on a, where scores lie within 45..60
              peer("wide", {"a": 50.0, "b": 60.0}),     # 10 off on b, where scores spread over 0..100
              peer("x1", {"a": 55.0, "b": 0.0}), peer("x2", {"a": 45.0, "b": 100.0})]
    found = {p.id: p.distance for p in pr.precedents(company, others, k=4, min_common=2)}
    a = [50.0, 60.0, 50.0, 55.0, 45.0]
    b = [50.0, 50.0, 60.0, 0.0, 100.0]
    assert found["narrow"] == pytest.approx(10 / statistics.pstdev(a), abs=1e-3)
    assert found["wide"] == pytest.approx(10 / statistics.pstdev(b), abs=1e-3)
    assert found["wide"] < found["narrow"]


def test_peer_sharing_fewer_than_three_scored_rubrics_is_never_a_precedent_by_default() -> None:
    company = assessment({"a": 10.0, "b": 20.0, "c": None})
    others = [peer("twin-on-a", {"a": 10.0}),                    # identical where compared, but only one rubric
              peer("other-side", {"b": 20.0, "c": 99.0}),        # shares b only
              peer("far", {"a": 90.0, "b": 90.0, "c": 90.0})]    # shares a and b
    assert pr.precedents(company, others, k=5) == []             # the default minimum is 3 rubrics in common
    assert pr.no_precedent_reason(company, others, 3) == (
        "a precedent needs at least 3 scored rubrics in common with this company (memo.precedent_min_rubrics), "
        "and the most any peer shares is 2 (Far); this company has 2 scored")
    found = pr.precedents(company, others, k=5, min_common=2)
    assert [p.id for p in found] == ["far"] and found[0].common == 2 and found[0].compared == ("a", "b")
    assert pr.precedents(company, others[:2], k=5, min_common=2) == []
    # min_common is a parameter: with 1, the two single-rubric peers qualify, identical where compared
    loose = pr.precedents(company, others, k=5, min_common=1)
    assert [(p.id, p.distance, p.common) for p in loose][:2] == [("other-side", 0.0, 1), ("twin-on-a", 0.0, 1)]
    assert loose[2].id == "far"


def test_no_peers_no_precedents() -> None:
    assert pr.precedents(assessment(COMPANY), [], k=3) == []
    assert pr.precedents(assessment({}), [peer("p", COMPANY)], k=3) == []


def test_identical_scores_give_distance_zero() -> None:
    found = pr.precedents(assessment(COMPANY), [peer("twin", dict(COMPANY)), peer("other", {"a": 50.0, "b": 50.0, "c": 50.0})], k=3)
    assert (found[0].id, found[0].distance, found[0].common) == ("twin", 0.0, 3)
    assert found[1].distance > 0


def test_k_limits_the_list_and_order_is_distance_then_id() -> None:
    others = [peer("zeta", dict(COMPANY)), peer("far", {"a": 90.0, "b": 90.0, "c": 90.0}),
              peer("alpha", dict(COMPANY)), peer("mid", {"a": 40.0, "b": 50.0, "c": 30.0})]
    found = pr.precedents(assessment(COMPANY), others, k=10)
    assert [p.id for p in found] == ["alpha", "zeta", "mid", "far"]
    assert [p.distance for p in found] == sorted(p.distance for p in found)
    for k in (1, 2, 3, 4):
        assert len(pr.precedents(assessment(COMPANY), others, k=k)) == k
    assert [p.id for p in pr.precedents(assessment(COMPANY), others, k=3)] == ["alpha", "zeta", "mid"]


def test_k_list_is_the_head_of_the_full_order_even_with_ties() -> None:
    others = [peer("zeta", dict(COMPANY)), peer("far", {"a": 90.0, "b": 90.0, "c": 90.0}), peer("alpha", dict(COMPANY))]
    full = [p.id for p in pr.precedents(assessment(COMPANY), others, k=3)]
    assert full == ["alpha", "zeta", "far"]
    assert [p.id for p in pr.precedents(assessment(COMPANY), others, k=1)] == full[:1]
    assert [p.id for p in pr.precedents(assessment(COMPANY), list(reversed(others)), k=1)] == full[:1]


def test_precedent_carries_scores_adjusted_score_and_outcome() -> None:
    outcome = ListingOutcome.model_validate({"status": "withdrawn", "date": "2023-05", "sources": ["s"]})
    found = pr.precedents(assessment(COMPANY), [peer("p1", {"a": 12.0, "b": None, "c": 31.0}, outcome=outcome, adjusted=42.5)], k=1, min_common=2)
    p = found[0]
    assert (p.id, p.company, p.adjusted_score, p.adjusted_band) == ("p1", "P1", 42.5, "Elevated")
    assert p.scores == {"a": 12.0, "b": None, "c": 31.0}
    assert p.outcome == "withdrawn 2023-05"


# --------------------------------------------------------------------------- outcome text


@pytest.mark.parametrize("pid,text", [
    ("zhiyun-health", "listed 2022-07-06 at HK$30.50 -16.07% on day 1"),
    ("jianke", "listed 2024-07-09 at HK$8.18 -44.62% on day 1"),
    ("yaoshibang", "listed 2023-06-28 at HK$20.00"),
    ("jd-health", "listed 2020-12-08"),
    ("wedoctor", "pending"),
])
def test_outcome_text_of_the_committed_companies(pid: str, text: str) -> None:
    profile = load_profile(COMPANIES / f"{pid}.yaml")
    assert pr.Peer("x", profile, None).outcome_text == text


def test_outcome_text_variants() -> None:
    def text(**fields: Any) -> str:
        outcome = ListingOutcome.model_validate({"sources": ["s"], **fields}) if fields else None
        return pr.Peer("x", SimpleNamespace(outcome=outcome), None).outcome_text

    assert text() == "not recorded"
    assert text(status="listed", date="2021-03", first_day_change="+5%") == "listed 2021-03 +5.00% on day 1"
    assert text(status="listed", offer_price="US$10", first_day_change="0%") == "listed at US$10 +0.00% on day 1"
    assert text(status="rejected") == "rejected"


# --------------------------------------------------------------------------- the engine never reads `outcome`

_OUTCOME_BLOCK = re.compile(r"^outcome:\n(?:(?:[ \t].*)?\n)*", re.M)


def _without_outcome(text: str) -> str:
    assert len(_OUTCOME_BLOCK.findall(text)) == 1
    return _OUTCOME_BLOCK.sub("", text)


def _changed_outcome(text: str) -> str:
    data = yaml.safe_load(text)
    block = (f"outcome:\n  status: {'rejected' if data['outcome']['status'] == 'listed' else 'listed'}\n"
             f"  date: {data['as_of']}\n  exchange: NYSE\n  offer_price: US$99.99\n  first_day_change: '+250%'\n"
             f"  sources: [{data['outcome']['sources'][0]}]\n  note: Changed by the test.\n")
    return _OUTCOME_BLOCK.sub(block, text)


@pytest.mark.parametrize("change", ["removed", "changed"])
@pytest.mark.parametrize("pid", ALL_IDS)
def test_outcome_never_changes_the_score(tmp_path: Path, pid: str, change: str) -> None:
    original = COMPANIES / f"{pid}.yaml"
    text = original.read_text(encoding="utf-8")
    edited = tmp_path / f"{pid}.yaml"
    edited.write_text(_without_outcome(text) if change == "removed" else _changed_outcome(text), encoding="utf-8")
    before_outcome, after_outcome = load_profile(original).outcome, load_profile(edited).outcome
    assert before_outcome is not None
    assert after_outcome is None if change == "removed" else after_outcome.status != before_outcome.status  # type: ignore[union-attr]
    before, after = run("score", original, "--json"), run("score", edited, "--json")
    assert before.exit_code == after.exit_code == 0, after.output
    assert after.stdout == before.stdout


# --------------------------------------------------------------------------- the memo


def _peer_section(md: str) -> str:
    start = md.index("## Peers and precedents")
    return md[start:md.index("\n## ", start + 1)]


def _precedent_rows(section: str) -> list[str]:
    lines = section.splitlines()
    if "| Company | Distance | Rubrics compared | Adjusted score | What became of the listing |" not in lines:
        return []
    start = lines.index("| Company | Distance | Rubrics compared | Adjusted score | What became of the listing |") + 2
    return [line for line in lines[start:] if line.startswith("| ")]


def test_memo_with_peers_markdown(tmp_path: Path) -> None:
    result = run("memo", WEDOCTOR, "--peers", "tag:health-tech", "--format", "md", "--out", tmp_path)
    assert result.exit_code == 0, result.output
    section = _peer_section((tmp_path / "wedoctor.md").read_text(encoding="utf-8"))
    assert f"Peer set: tag:health-tech (23 companies: {', '.join(PEER_NAMES)})" in section
    assert "| Figure | This company | Percentile among peers | Peers with the figure |" in section
    assert "| Losses and cash burn (score) | 53.2 | 38 | 21 |" in section
    # issue 13: WeDoctor's three heaviest risks are compared against at least five peers each
    assert "| Customer concentration (score) | 100.0 | 100 | 5 |" in section
    assert "| Governance violations (score) | 78.8 | 100 | 21 |" in section
    assert "| Redemption overhang (score) | 87.0 | 100 | 5 |" in section
    assert "No peer has a score for" not in section
    # fewer than 5 peers with the figure: their values, never a percentile
    assert "| Core segment gross margin | 3.3% | peers: 18.3%, 72.8% | 2 |" in section
    assert "| Largest customer share | 77.6% | peers: 24.9% | 1 |" in section
    assert "| R&D intensity | 1.3% | 0 | 5 |" in section  # exactly 5: a percentile
    assert "With fewer than 5 peers holding a figure there is no percentile" in section
    # the precedents share at least four scored rubrics with WeDoctor; the table names them
    assert "Closest precedents" in section and "at least 3" in section
    assert _precedent_rows(section) == [
        "| QingSong Health Corporation | 5.17 | 4: Customer concentration, Margin, Losses and cash burn, Technology dependence | "
        "31.8 (Moderate, insufficient) | listed 2025-12-23 at HK$22.68 |",
        "| Dingdang Health | 6.27 | 5: Margin, Losses and cash burn, Governance violations, Technology dependence, Redemption overhang | "
        "34.4 (Moderate, insufficient) | listed 2022-09-14 at HK$12.00 |",
        "| Sipai Health Technology (pinyin of 思派健康科技) | 6.50 | 4: Margin, Losses and cash burn, Governance violations, Redemption overhang | "
        "39.5 (Moderate, provisional) | listed 2022-12-23 at HK$18.60 +34.41% on day 1 |"]
    assert "WeDoctor" not in section  # the company is never its own peer


def test_memo_says_first_when_no_peer_has_a_heavy_rubric(tmp_path: Path) -> None:
    """Zhiyun and Yaoshibang score neither customer concentration nor redemption overhang."""
    result = run("memo", WEDOCTOR, "--peers", "zhiyun-health, yaoshibang", "--format", "md", "--out", tmp_path)
    assert result.exit_code == 0, result.output
    section = _peer_section((tmp_path / "wedoctor.md").read_text(encoding="utf-8"))
    first = section.split("\n\n")[1]
    assert first == ("**No peer has a score for Customer concentration or Redemption overhang, 2 of the 3 heaviest rubrics of this "
                     "company (20% of the configured weight each): the comparison below says nothing about them.**")
    assert "| Customer concentration (score) | 100.0 | — | 0 |" in section
    assert "| Consolidated gross margin | 13.4% | peers: 10.1%, 32.4% | 2 |" in section
    # both share exactly three scored rubrics with WeDoctor: precedents, and the table names the three
    assert [r.split(" | ")[2] for r in _precedent_rows(section)] == ["3: Margin, Losses and cash burn, Governance violations"] * 2


def test_memo_with_peers_html_and_chart(tmp_path: Path) -> None:
    result = run("memo", WEDOCTOR, "--peers", "tag:health-tech", "--precedents", "4", "--format", "html", "--out", tmp_path)
    assert result.exit_code == 0, result.output
    html = (tmp_path / "wedoctor.html").read_text(encoding="utf-8")
    assert "<h2>Peers and precedents</h2>" in html
    text = re.sub(r"<[^>]+>", "", html)  # Chinese inside a name is marked up with its language
    for name in PEER_NAMES:
        assert name in text
    assert "Percentile among peers" in html
    assert "<td>4: Customer concentration, Margin, Losses and cash burn, Technology dependence</td>" in html  # QingSong
    assert "<td>listed 2024-12-30</td>" in html                                                           # the fourth: Jiankang Zhilu
    assert "<td>listed 2022-07-06 at HK$30.50 -16.07% on day 1</td>" not in html      # Zhiyun is not among the four closest
    assert "No peer has a score for" not in html
    assert '<td class="num">peers: 18.3%, 72.8%</td>' in html
    assert not re.search(r"<(script|link|img|iframe)\b", html) and "@import" not in html and "url(" not in html
    svgs = re.findall(r"<svg.*?</svg>", html, flags=re.S)
    chart = [s for s in svgs if 'aria-label="Rubric scores among peers"' in s]
    assert len(chart) == 1 and len(svgs) == 3
    root = ET.fromstring(chart[0])
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    classes = [e.get("class") for e in root.iter()]
    assert classes.count("company") == 6            # WeDoctor scored on all six rubrics
    assert classes.count("peer") == 5 + 13 + 21 + 21 + 10 + 5  # the peers' scores, rubric by rubric
    rest = chart[0].replace('xmlns="http://www.w3.org/2000/svg"', "").lower()
    for forbidden in ("http", "href", "url(", "<image", "<script", "<style", "<foreignobject"):
        assert forbidden not in rest


def test_memo_without_peers_has_no_peer_section(tmp_path: Path) -> None:
    assert run("memo", WEDOCTOR, "--out", tmp_path).exit_code == 0
    assert "Peers and precedents" not in (tmp_path / "wedoctor.md").read_text(encoding="utf-8")
    assert "Rubric scores among peers" not in (tmp_path / "wedoctor.html").read_text(encoding="utf-8")


def test_memo_precedents_limits_and_zero_lists_none(tmp_path: Path) -> None:
    assert run("memo", WEDOCTOR, "--peers", "tag:health-tech", "--precedents", "1", "--format", "md", "--out", tmp_path / "one").exit_code == 0
    one = _peer_section((tmp_path / "one" / "wedoctor.md").read_text(encoding="utf-8"))
    assert [r.split(" | ")[0] for r in _precedent_rows(one)] == ["| QingSong Health Corporation"]
    result = run("memo", WEDOCTOR, "--peers", "tag:health-tech", "--precedents", "0", "--out", tmp_path / "zero")
    assert result.exit_code == 0, result.output
    zero = _peer_section((tmp_path / "zero" / "wedoctor.md").read_text(encoding="utf-8"))
    assert "Closest precedents" not in zero and "What became of the listing" not in zero
    assert "| Losses and cash burn (score) | 53.2 | 38 | 21 |" in zero  # the ranks are still there
    html = (tmp_path / "zero" / "wedoctor.html").read_text(encoding="utf-8")
    assert "Closest precedents" not in html and "Rubric scores among peers" in html


def test_memo_precedents_zero_does_not_claim_no_peer_qualifies(tmp_path: Path) -> None:
    assert run("memo", WEDOCTOR, "--peers", "tag:health-tech", "--precedents", "0", "--out", tmp_path).exit_code == 0
    for name in ("wedoctor.md", "wedoctor.html"):
        assert "no comparable precedent" not in (tmp_path / name).read_text(encoding="utf-8")


def test_memo_precedents_out_of_range_is_refused(tmp_path: Path) -> None:
    assert run("memo", WEDOCTOR, "--peers", "tag:health-tech", "--precedents", "-1", "--out", tmp_path).exit_code == 2
    assert not tmp_path.exists() or not any(tmp_path.iterdir())


@pytest.mark.parametrize("spec,needle", [("nope", "nope"), ("jd-health,nope", "nope"), ("tag:fintech", "tag:fintech")])
def test_memo_unknown_peers_exit_2_and_write_nothing(tmp_path: Path, spec: str, needle: str) -> None:
    out = tmp_path / "out"
    result = run("memo", WEDOCTOR, "--peers", spec, "--out", out)
    assert result.exit_code == 2
    assert needle in result.stderr and "--peers" in result.stderr
    assert "Traceback" not in result.output
    assert not out.exists() or not any(out.iterdir())


@pytest.mark.parametrize("spec", ["wedoctor", ", ,"])
def test_memo_peer_set_that_names_no_peer_is_refused(tmp_path: Path, spec: str) -> None:
    result = run("memo", WEDOCTOR, "--peers", spec, "--out", tmp_path)
    assert result.exit_code == 2


def test_memo_peers_ids_directory_and_command_line_over_config(tmp_path: Path) -> None:
    result = run("memo", WEDOCTOR, "--peers", "brainaurora, infervision", "--format", "md", "--out", tmp_path / "ids")
    assert result.exit_code == 0, result.output
    section = _peer_section((tmp_path / "ids" / "wedoctor.md").read_text(encoding="utf-8"))
    assert "(2 companies: BrainAurora Medical Technology Limited, Infervision Medical Technology Co., Ltd.)" in section
    # each shares two scored rubrics with WeDoctor (governance, technology): ranked, but neither is a precedent, and the memo says why
    assert _precedent_rows(section) == []
    assert ("There is no comparable precedent on file: a precedent needs at least 3 scored rubrics in common with this company "
            "(memo.precedent_min_rubrics), and the most any peer shares is 2 (BrainAurora Medical Technology Limited, "
            "Infervision Medical Technology Co., Ltd.); this company has 6 scored.") in section
    html = run("memo", WEDOCTOR, "--peers", "brainaurora, infervision", "--format", "html", "--out", tmp_path / "ids")
    assert html.exit_code == 0 and "There is no comparable precedent on file" in (tmp_path / "ids" / "wedoctor.html").read_text(encoding="utf-8")

    cfg = tmp_path / "riskscore.toml"
    cfg.write_text('[memo]\npeers = "tag:health-tech"\n', encoding="utf-8")
    result = run("memo", WEDOCTOR, "--config", cfg, "--peers", str(COMPANIES), "--format", "md", "--out", tmp_path / "dir")
    assert result.exit_code == 0, result.output
    assert f"Peer set: {COMPANIES} (27 companies" in (tmp_path / "dir" / "wedoctor.md").read_text(encoding="utf-8")


def test_memo_peers_from_config_file_relative_to_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config_dir = tmp_path / "settings"
    (config_dir / "peer-set").mkdir(parents=True)
    for pid in ("jd-health", "zhiyun-health"):
        shutil.copy(COMPANIES / f"{pid}.yaml", config_dir / "peer-set" / f"{pid}.yaml")
    cfg = config_dir / "riskscore.toml"
    cfg.write_text('[memo]\npeers = "peer-set"\nprecedents = 1\nprecedent_min_rubrics = 2\npercentile_min_peers = 2\n', encoding="utf-8")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)  # not relative to the working directory
    result = run("memo", WEDOCTOR, "--config", cfg, "--format", "md", "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    section = _peer_section((tmp_path / "out" / "wedoctor.md").read_text(encoding="utf-8"))
    assert "(2 companies: JD Health, Zhiyun Health)" in section
    assert "peer-set" in section
    assert len(_precedent_rows(section)) == 1  # precedents = 1 and precedent_min_rubrics = 2 from the file
    assert "| Losses and cash burn (score) | 53.2 | 50 | 2 |" in section  # percentile_min_peers = 2 from the file


def test_memo_peers_from_discovered_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "riskscore.toml").write_text('[memo]\npeers = "tag:health-tech"\nprecedents = 2\n', encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    result = run("memo", WEDOCTOR, "--format", "md", "--out", tmp_path / "out")
    assert result.exit_code == 0, result.output
    section = _peer_section((tmp_path / "out" / "wedoctor.md").read_text(encoding="utf-8"))
    assert "Peer set: tag:health-tech (23 companies" in section
    assert [r.split(" | ")[0] for r in _precedent_rows(section)] == ["| QingSong Health Corporation", "| Dingdang Health"]  # precedents = 2


def test_memo_bad_peers_in_config_exit_2(tmp_path: Path) -> None:
    cfg = tmp_path / "riskscore.toml"
    cfg.write_text('[memo]\npeers = "tag:nobody"\n', encoding="utf-8")
    result = run("memo", WEDOCTOR, "--config", cfg, "--out", tmp_path / "out")
    assert result.exit_code == 2 and "tag:nobody" in result.stderr
    cfg.write_text('[memo]\nprecedents = 99\n', encoding="utf-8")
    result = run("memo", WEDOCTOR, "--config", cfg, "--out", tmp_path / "out")
    assert result.exit_code == 2 and "memo.precedents" in result.stderr
