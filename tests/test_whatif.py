"""What-if (riskscore.analysis.whatif): assignments, re-scoring, the `whatif` command, and sensitivity thresholds.

The key test takes every threshold ``sensitivity`` reports for WeDoctor, applies it with
``whatif`` a little on either side, and checks that the rubric's band really flips there,
on the side the row says.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from riskscore.analysis import whatif as wi
from riskscore.analysis.whatif import WHATIF_SOURCE, Assignment
from riskscore.cli.app import app
from riskscore.errors import InputError
from riskscore.profile.load import load_profile
from riskscore.profile.model import Profile
from riskscore.scoring import registry
from riskscore.scoring.config import load_config
from riskscore.scoring.engine import Assessment, assess

ROOT = Path(__file__).resolve().parents[1]
WEDOCTOR = ROOT / "companies" / "wedoctor.yaml"
RUBRIC_IDS = ["customer_concentration", "margin", "losses", "governance", "technology_dependence", "redemption_overhang"]
LARGEST = "periods[2025H1].customers.largest_share"
runner = CliRunner()


def run(*args: Any):  # type: ignore[no-untyped-def]
    return runner.invoke(app, [str(a) for a in args])


@lru_cache(maxsize=1)
def wedoctor() -> Profile:
    return load_profile(WEDOCTOR)


@lru_cache(maxsize=1)
def scoring() -> tuple[Any, list[Any]]:
    config = load_config(None)
    return config, registry.select(config)


@lru_cache(maxsize=1)
def baseline() -> Assessment:
    config, rubrics = scoring()
    return assess(wedoctor(), config, rubrics)


def apply(*assignments: str, profile: Profile | None = None) -> Profile:
    return wi.apply(profile or wedoctor(), [Assignment.parse(a) for a in assignments])


def rescore(profile: Profile) -> Assessment:
    config, rubrics = scoring()
    return assess(profile, config, rubrics)


def rubric(assessment: Assessment, rid: str) -> Any:
    return next(o for o in assessment.rubrics if o.id == rid)


def problems(exc: pytest.ExceptionInfo[InputError]) -> str:
    return str(exc.value)


# --------------------------------------------------------------------------- Assignment.parse


@pytest.mark.parametrize("text", ["no-equals-sign", "=50%", "periods[2025H1].revenue=", "  =  ", "periods[2025H1].revenue=   "])
def test_parse_refuses_what_is_not_path_equals_value(text: str) -> None:
    with pytest.raises(InputError) as exc:
        Assignment.parse(text)
    assert exc.value.file == "--set"
    assert [p.field for p in exc.value.problems] == [text]
    assert "write PATH=VALUE, e.g. periods[2025H1].customers.largest_share=50%" in problems(exc)


def test_parse_splits_at_the_first_equals_sign_and_strips() -> None:
    assert Assignment.parse(" periods[2025H1].revenue = 40 RMB 亿 ") == Assignment("periods[2025H1].revenue", "40 RMB 亿")
    assert Assignment.parse("company.name=A=B") == Assignment("company.name", "A=B")


# --------------------------------------------------------------------------- apply


def test_a_percentage_replaces_the_figure_with_one_what_if_observation() -> None:
    changed = apply(f"{LARGEST}=45%")
    [obs] = changed.period("2025H1").customers.largest_share  # type: ignore[union-attr]
    assert (obs.value, obs.source, obs.filing, obs.bound) == (45.0, WHATIF_SOURCE, None, "exact")
    assert changed.period("FY2024").customers.largest_share.root[0].value == 70.8  # type: ignore[union-attr]


def test_money_without_a_unit_takes_the_figures_own_unit() -> None:
    [obs] = apply("periods[2025H1].revenue=40").period("2025H1").revenue  # type: ignore[union-attr]
    assert (obs.amount, str(obs.unit), obs.source) == (40.0, "RMB 亿", WHATIF_SOURCE)


def test_money_with_a_unit_keeps_that_unit() -> None:
    [obs] = apply("periods[2025H1].revenue=4,000 RMB million").period("2025H1").revenue  # type: ignore[union-attr]
    assert (obs.amount, str(obs.unit)) == (4000.0, "RMB million")
    assert obs.base == pytest.approx(40e8)


def test_money_for_a_new_figure_defaults_to_the_presentation_unit(make_profile_data: Callable[..., dict[str, Any]]) -> None:
    profile = Profile.model_validate(make_profile_data({
        "presentation_unit": "USD million",
        "periods": [{"id": "FY2025", "revenue": {"amount": 10, "unit": "RMB 亿", "source": "p"}}],
    }))
    changed = apply("periods[FY2025].cash=5", "periods[FY2025].revenue=12", profile=profile)
    assert str(changed.period("FY2025").cash.root[0].unit) == "USD million"  # type: ignore[union-attr]
    assert str(changed.period("FY2025").revenue.root[0].unit) == "RMB 亿"  # type: ignore[union-attr]


def test_a_missing_section_is_created(make_profile_data: Callable[..., dict[str, Any]]) -> None:
    profile = Profile.model_validate(make_profile_data({"periods": [{"id": "FY2025", "revenue": {"amount": 10, "unit": "RMB 亿", "source": "p"}}]}))
    changed = apply("periods[FY2025].customers.largest_share=60%", profile=profile)
    assert changed.period("FY2025").customers.largest_share.root[0].value == 60.0  # type: ignore[union-attr]


def test_non_figure_scalars_are_read_as_yaml() -> None:
    changed = apply("technology.core[0].control=proprietary", "technology.core[0].fallback_tested=true",
                    "capital_structure.instruments[0].converts_at_listing=false")
    tech = changed.technology.core[0]  # type: ignore[union-attr]
    assert (tech.control, tech.fallback_tested) == ("proprietary", True)
    assert changed.capital_structure.instruments[0].converts_at_listing is False  # type: ignore[union-attr,index]


@pytest.mark.parametrize("path,read", [
    ("periods[2025H1].revenue", lambda p: p.period("2025H1").revenue),                                        # by id
    ("periods[2025H1].segments[AI medical services].gross_margin",                                             # by name, with spaces
     lambda p: next(s for s in p.period("2025H1").segments if s.name == "AI medical services").gross_margin),
    ("periods[8].revenue", lambda p: p.period("2025H1").revenue),                                             # by index
    ("capital_structure.instruments[0].amount", lambda p: p.capital_structure.instruments[0].amount),
    ("capital_structure.instruments[Redeemable convertible preferred shares].amount",
     lambda p: p.capital_structure.instruments[0].amount),
    ("technology.core[Medical large language model].description", lambda p: p.technology.core[0].description),
])
def test_items_are_selected_by_id_name_or_index(path: str, read: Callable[[Profile], Any]) -> None:
    value = "Changed." if path.endswith("description") else ("12.5%" if path.endswith("margin") else "31")
    changed = apply(f"{path}={value}")
    got = read(changed)
    if isinstance(got, str):
        assert got == "Changed."
    else:
        [obs] = got
        assert obs.source == WHATIF_SOURCE
        assert (getattr(obs, "value", None) or obs.amount) in (12.5, 31.0)
    assert read(wedoctor()) != got


def test_an_unknown_field_names_the_path_and_lists_the_fields() -> None:
    with pytest.raises(InputError) as exc:
        apply("periods[2025H1].revenu=40")
    [problem] = exc.value.problems
    assert problem.field == "periods[2025H1].revenu"
    assert "Period has no field 'revenu'" in problem.message
    assert "revenue, revenue_growth" in problem.message


def test_an_unknown_item_names_the_path_and_lists_the_items() -> None:
    with pytest.raises(InputError) as exc:
        apply("periods[FY2030].revenue=40")
    [problem] = exc.value.problems
    assert problem.field == "periods[FY2030].revenue"
    assert "no item 'FY2030'" in problem.message
    assert "(have: FY2018, FY2019, FY2020, FY2021, FY2022, FY2023, 2024H1, FY2024, 2025H1)" in problem.message
    with pytest.raises(InputError, match=r"no item 'Pharmacy'.*have: AI medical services, Health management membership"):
        apply("periods[2025H1].segments[Pharmacy].share=10%")
    with pytest.raises(InputError, match=r"no item '3'.*have: Redeemable convertible preferred shares"):
        apply("capital_structure.instruments[3].amount=1")


def test_a_list_needs_an_item() -> None:
    with pytest.raises(InputError, match=r"periods is a list: name an item, e.g. periods\[0\]"):
        apply("periods.revenue=40")


def test_a_bare_number_for_a_percentage_is_refused_with_a_hint() -> None:
    with pytest.raises(InputError) as exc:
        apply(f"{LARGEST}=45")
    [problem] = exc.value.problems
    assert problem.field == LARGEST
    assert problem.message == "a percentage is written with a % sign, e.g. 45%"


def test_a_value_that_is_not_an_amount_is_refused() -> None:
    with pytest.raises(InputError, match=r"expected an amount such as 120 or '120 RMB 亿'; got 'lots'"):
        apply("periods[2025H1].revenue=lots")


def test_a_value_the_profile_refuses_is_input_error() -> None:
    with pytest.raises(InputError, match=r"must lie within 0%-100%"):
        apply(f"{LARGEST}=145%")
    with pytest.raises(InputError, match=r"'proprietary', 'third_party' or 'shared'"):
        apply("technology.core[0].control=in-house")
    with pytest.raises(InputError, match=r"unknown currency"):
        apply("periods[2025H1].revenue=40 XYZ 亿")


@pytest.mark.parametrize("text", ["periods[2025H1]=5", "periods[2025H1].revenue[0]=5"])
def test_a_path_ending_in_an_item_is_refused(text: str) -> None:
    with pytest.raises(InputError):
        apply(text)


def test_the_what_if_source_is_added_once() -> None:
    changed = apply(f"{LARGEST}=45%", "periods[FY2024].customers.largest_share=40%")
    added = [s for s in changed.sources if s.id == WHATIF_SOURCE]
    assert len(added) == 1
    [source] = added
    assert source.title == f"What-if assumptions: {LARGEST}=45%; periods[FY2024].customers.largest_share=40%"
    assert (str(source.date), source.kind) == (str(wedoctor().as_of), "research")
    assert [s.id for s in changed.sources][:-1] == [s.id for s in wedoctor().sources]
    again = apply("periods[2025H1].revenue=31", profile=changed)  # re-applying on a what-if profile adds no second one
    assert [s.id for s in again.sources].count(WHATIF_SOURCE) == 1


def test_the_original_profile_is_unchanged() -> None:
    original = load_profile(WEDOCTOR)
    before = original.model_dump(mode="json")
    apply(f"{LARGEST}=45%", "technology.core[0].control=proprietary", profile=original)
    assert original.model_dump(mode="json") == before
    assert WHATIF_SOURCE not in {s.id for s in original.sources}


# --------------------------------------------------------------------------- compare and the red flag


def test_compare_rows_per_rubric_then_indicated_and_adjusted() -> None:
    after = rescore(apply(f"{LARGEST}=45%"))
    rows = wi.compare(baseline(), after)
    assert [r.id for r in rows] == RUBRIC_IDS + ["indicated", "adjusted"]
    assert [r.title for r in rows][-2:] == ["Indicated score", "Adjusted score"]
    by_id = {r.id: r for r in rows}
    cc = by_id["customer_concentration"]
    assert (cc.before, cc.band_before, cc.band_after) == (100.0, "Severe", "High")
    assert cc.delta == round(cc.after - cc.before, 2) < 0  # type: ignore[operator]
    for rid in RUBRIC_IDS[1:]:
        assert by_id[rid].delta == 0.0 and by_id[rid].band_before == by_id[rid].band_after
    assert (by_id["indicated"].before, by_id["indicated"].after) == (baseline().indicated_score, after.indicated_score)
    assert (by_id["adjusted"].before, by_id["adjusted"].after) == (baseline().adjusted_score, after.adjusted_score)
    assert wi.Change("x", "X", None, 1.0, None, "Low").delta is None


def test_lowering_the_largest_customer_below_half_removes_the_majority_flag_and_lowers_the_score() -> None:
    def majority(a: Assessment) -> bool:
        return any(f.id == "largest_customer_majority" for f in a.red_flags)

    assert majority(baseline())
    assert majority(rescore(apply(f"{LARGEST}=50%")))     # the threshold itself still flags
    after = rescore(apply(f"{LARGEST}=49.9%"))
    assert not majority(after)
    assert rubric(after, "customer_concentration").score < rubric(baseline(), "customer_concentration").score
    assert after.adjusted_score < baseline().adjusted_score  # type: ignore[operator]


# --------------------------------------------------------------------------- the command


def test_whatif_command_prints_a_table() -> None:
    result = runner.invoke(app, ["whatif", str(WEDOCTOR), "--set", f"{LARGEST}=45%"], env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"WeDoctor Holdings Limited — what if {LARGEST}=45%"
    assert re.match(r"^\s+Before\s+After\s+Change\s+Band$", lines[2])
    assert set(lines[3]) == {"─"}
    assert re.match(r"^Customer concentration\s+100\.0\s+73\.3\s+-26\.7\s+Severe → High$", lines[4])
    assert re.match(r"^Margin\s+77\.4\s+77\.4\s+\+0\.0\s+High$", lines[5])
    assert lines[10] == ""  # the totals stand apart from the rubrics
    assert lines[11].startswith("Indicated score") and lines[12].startswith("Adjusted score")
    # Lowering the largest customer's share below the threshold clears its red flag.
    assert lines[14] == "Red flags"
    assert lines[15].startswith("- cleared Majority reliance on one customer: The largest customer provided 77.6% of revenue")


def test_whatif_command_takes_several_assignments() -> None:
    result = run("whatif", WEDOCTOR, "--set", f"{LARGEST}=45%", "--set", "technology.core[0].control=proprietary")
    assert result.exit_code == 0, result.output
    assert f"what if {LARGEST}=45%; technology.core[0].control=proprietary" in " ".join(result.stdout.split())
    assert re.search(r"^Technology dependence .* → ", result.stdout, flags=re.M)


def test_whatif_json_is_only_json_with_changes_deltas_and_bands() -> None:
    result = run("whatif", WEDOCTOR, "--set", f"{LARGEST}=45%", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)  # nothing but JSON on stdout
    assert data["profile_id"] == "wedoctor"
    assert data["assignments"] == [f"{LARGEST}=45%"]
    assert [c["id"] for c in data["changes"]] == RUBRIC_IDS + ["indicated", "adjusted"]
    cc = data["changes"][0]
    assert set(cc) == {"id", "title", "before", "after", "delta", "band_before", "band_after"}
    assert (cc["before"], cc["after"], cc["delta"], cc["band_before"], cc["band_after"]) == (100.0, 73.33, -26.67, "Severe", "High")
    adjusted = data["changes"][-1]
    assert adjusted["delta"] == round(adjusted["after"] - adjusted["before"], 2) < 0
    assert data["before"]["adjusted_score"] == adjusted["before"] and data["after"]["adjusted_score"] == adjusted["after"]
    assert not any(f["id"] == "largest_customer_majority" for f in data["after"]["red_flags"])
    assert any(f["id"] == "largest_customer_majority" for f in data["before"]["red_flags"])


@pytest.mark.parametrize("assignment,expected", [
    ("periods[2025H1].revenu=40", "periods[2025H1].revenu: Period has no field 'revenu'"),
    (f"{LARGEST}=45", f"{LARGEST}: a percentage is written with a % sign, e.g. 45%"),
    ("nonsense", "nonsense: write PATH=VALUE"),
    ("periods[2025H1].id.x=1", "periods[2025H1].id.x: periods[2025H1].id has no fields; 'x' cannot be set on it"),
])
def test_whatif_bad_assignment_is_exit_2_without_output(assignment: str, expected: str) -> None:
    result = run("whatif", WEDOCTOR, "--set", assignment, "--json")
    assert result.exit_code == 2
    assert f"error: --set: {expected}" in result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.output


def test_whatif_needs_an_assignment() -> None:
    assert run("whatif", WEDOCTOR).exit_code == 2


# --------------------------------------------------------------------------- sensitivity


@lru_cache(maxsize=1)
def wedoctor_sensitivity() -> list[wi.Sensitivity]:
    config, rubrics = scoring()
    return wi.sensitivity(wedoctor(), baseline(), config, rubrics)


def test_sensitivity_rows_for_wedoctor() -> None:
    rows = {r.rubric: r for r in wedoctor_sensitivity()}
    # Governance has no key figure to move; every other rubric has one.
    assert list(rows) == ["customer_concentration", "margin", "losses", "technology_dependence", "redemption_overhang"]
    cc = rows["customer_concentration"]
    assert (cc.path, cc.current, cc.unit, cc.band, cc.up) == (LARGEST, 77.6, "%", "Severe", None)
    assert cc.down is not None and (round(cc.down.value, 1), cc.down.band) == (50.0, "High")
    assert rows["redemption_overhang"].path == "capital_structure.instruments[0].amount"
    losses = rows["losses"]
    assert (losses.path, losses.current, losses.unit, losses.decimals) == ("periods[2025H1].adjusted_net_profit", -1.3, "RMB 亿", 1)
    for row in rows.values():
        assert row.band == rubric(baseline(), row.rubric).band
        assert row.down or row.up
        assert row.down is None or row.down.value < row.current
        assert row.up is None or row.up.value > row.current


def _band_with(path: str, value: float, unit: str, rid: str) -> str | None:
    text = f"{value:.6g}%" if unit == "%" else f"{value:.6g} {unit}"
    return rubric(rescore(apply(f"{path}={text}")), rid).band


def test_sensitivity_thresholds_really_change_the_band_when_applied() -> None:
    """Each threshold, applied with whatif a little beyond it, gives the new band; a little short of it, the current one."""
    checked = 0
    for row in wedoctor_sensitivity():
        for direction, crossing in (("below", row.down), ("above", row.up)):
            if crossing is None:
                continue
            unit = row.unit
            threshold = round(crossing.value, 1 if unit == "%" else 2)  # as the memo prints it
            eps = 0.1 if unit == "%" else 0.01  # twice the rounding of the printed threshold (1 decimal for %, 2 for money)
            beyond, short = (threshold + eps, threshold - eps) if direction == "above" else (threshold - eps, threshold + eps)
            assert _band_with(row.path, beyond, unit, row.rubric) == crossing.band, f"{row.rubric}: {direction} {threshold} at {beyond}"
            assert _band_with(row.path, short, unit, row.rubric) == row.band, f"{row.rubric}: {direction} {threshold} at {short}"
            checked += 1
    assert checked == 7  # customer concentration 1, margin 2, losses 2, technology 1, redemption 1 (Severe: only down)


def test_sensitivity_directions_without_a_change_keep_the_band_to_the_end_of_the_range() -> None:
    rows = {r.rubric: r for r in wedoctor_sensitivity()}
    assert rows["customer_concentration"].up is None and _band_with(LARGEST, 100, "%", "customer_concentration") == "Severe"
    assert rows["technology_dependence"].down is None
    assert _band_with("periods[2025H1].rnd_expense", 0.001, "RMB 亿", "technology_dependence") == "Severe"
    # redemption overhang is Severe (the post-hearing report is unverified, so not credited): no higher band to reach
    assert rows["redemption_overhang"].up is None and rows["redemption_overhang"].down is not None


def test_sensitivity_threshold_via_the_command() -> None:
    def band(value: str) -> str:
        result = run("whatif", WEDOCTOR, "--set", f"{LARGEST}={value}", "--json")
        assert result.exit_code == 0, result.output
        return json.loads(result.stdout)["changes"][0]["band_after"]

    assert (band("49.9%"), band("50.1%")) == ("High", "Severe")


def test_memo_sensitivity_flag_adds_the_section(tmp_path: Path) -> None:
    result = run("memo", WEDOCTOR, "--format", "all", "--sensitivity", "--out", tmp_path / "with")
    assert result.exit_code == 0, result.output
    md = (tmp_path / "with" / "wedoctor.md").read_text(encoding="utf-8")
    html = (tmp_path / "with" / "wedoctor.html").read_text(encoding="utf-8")
    assert "## Sensitivity" in md
    section = md.split("## Sensitivity", 1)[1].split("\n## ", 1)[0]
    assert f"| Customer concentration | {LARGEST} | 77.6% | Severe | below 50.0% → High | no band change in range |" in section
    assert "| Redemption overhang | capital_structure.instruments[0].amount | RMB 250 亿 | Severe | below RMB 192.46 亿 → High | no band change in range |" in section
    assert "Governance violations" not in section
    assert "Sensitivity</h2>" in html

    result = run("memo", WEDOCTOR, "--format", "all", "--out", tmp_path / "without")
    assert result.exit_code == 0, result.output
    assert "## Sensitivity" not in (tmp_path / "without" / "wedoctor.md").read_text(encoding="utf-8")
    assert "Sensitivity</h2>" not in (tmp_path / "without" / "wedoctor.html").read_text(encoding="utf-8")
    # The flag only adds the section.
    without = (tmp_path / "without" / "wedoctor.md").read_text(encoding="utf-8")
    assert md.replace("## Sensitivity" + section + "\n", "", 1) == without


# --------------------------------------------------------------------------- apply_figure: the searches' shortcut

def _figure_cases() -> list[tuple[str, str, str]]:
    cases = []
    for path in sorted((ROOT / "companies").glob("*.yaml")):
        profile = load_profile(path)
        for loc, figure in profile.iter_figures():
            where = profile.describe_loc(loc)
            full = path.name == "wedoctor.yaml"  # every value on the reference case, two on the others
            if isinstance(figure, wi.PercentFigure):
                values = ["50%", "150%"] + (["-20%", "0%"] if full else [])  # 150% and -20% break range checks on shares
            else:  # -3 breaks non-negative amounts, 1e20 the maximum
                values = ["12.5", "-3"] + ([f"7 {figure.root[0].unit}", "1e20"] if full else [])
            cases += [(path.name, where, v) for v in values]
    return cases


def test_apply_figure_gives_the_profile_apply_gives_or_the_same_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every figure of every profile in companies/, at values valid and invalid: the shortcut the
    verdict search uses builds a profile equal to the full re-validation's, or fails with its error;
    and for valid values it does so without falling back to the full re-validation."""
    profiles = {p.name: load_profile(p) for p in (ROOT / "companies").glob("*.yaml")}
    for profile in profiles.values():
        profile.periods_by_end()  # as after scoring: the cached order must not outlive a changed period
    slow = wi.apply
    fallbacks: list[str] = []
    monkeypatch.setattr(wi, "apply", lambda profile, assignments: fallbacks.append(assignments[0].path) or slow(profile, assignments))
    checked = valid = 0
    for name, path, value in _figure_cases():
        profile = profiles[name]
        try:
            expected, expected_error = slow(profile, [Assignment(path, value)]), None
        except InputError as exc:
            expected, expected_error = None, str(exc)
        fallbacks.clear()
        try:
            got, error = wi.apply_figure(profile, path, value), None
        except InputError as exc:
            got, error = None, str(exc)
        assert (got, error) == (expected, expected_error), (name, path, value)
        if expected is not None:
            valid += 1
            assert got is not None and got.periods_by_end() == expected.periods_by_end()
            assert not fallbacks, (name, path, value)
        checked += 1
    assert checked > 900 and valid > 400


def test_apply_figure_leaves_the_original_profile_unchanged() -> None:
    before = wedoctor().model_dump()
    changed = wi.apply_figure(wedoctor(), LARGEST, "12%")
    assert wedoctor().model_dump() == before
    assert changed.period("2025H1").customers is not None
    assert [o.value for o in changed.period("2025H1").customers.largest_share or []] == [12.0]
    assert changed.sources[-1].id == WHATIF_SOURCE and wedoctor().sources[-1].id != WHATIF_SOURCE


@pytest.mark.parametrize("value, valid", [("-2", True), ("5", False)])
def test_apply_figure_runs_the_value_cross_checks(make_profile_data: Callable[..., dict[str, Any]], value: str, valid: bool) -> None:
    """A period a source calls loss-making cannot be given only positive profits, by the shortcut either."""
    profile = Profile.model_validate(make_profile_data({"periods": [{
        "id": "FY2025", "loss_making": {"source": "m"}, "net_profit": {"amount": -1, "unit": "RMB 亿", "source": "p"}}]}))
    path = "periods[FY2025].net_profit"
    if valid:
        assert wi.apply_figure(profile, path, value) == wi.apply(profile, [Assignment(path, value)])
        return
    with pytest.raises(InputError) as slow:
        wi.apply(profile, [Assignment(path, value)])
    with pytest.raises(InputError) as fast:
        wi.apply_figure(profile, path, value)
    assert str(fast.value) == str(slow.value) and "loss-making" in str(fast.value)
