"""Tests for riskscore.report.charts: inline, self-contained, deterministic SVG."""

from __future__ import annotations

import itertools
import re
import xml.etree.ElementTree as ET

import pytest

from riskscore.report.charts import BAND_COLOURS, INTERIM_FILL, NOT_SCORED, Panel, ScoreBar, Series, period_panels, score_weight_chart

NS = "{http://www.w3.org/2000/svg}"
XMLNS = 'xmlns="http://www.w3.org/2000/svg"'

BARS = [
    ScoreBar("Customer concentration", 72.0, 20.0, "High"),
    ScoreBar("Margin", 12.5, 15.0, "Low"),
    ScoreBar("Losses", None, 25.0, None),
    ScoreBar("Governance", 45.0, 40.0, "Elevated"),
]
REVENUE = Panel("Revenue (RMB 亿)", "", [Series("Consolidated", [("FY2022", 13.7), ("FY2023", 20.1), ("2025H1", 30.8)])], "bar")
PROFIT = Panel("Adjusted net profit (RMB 亿)", "", [
    Series("Adjusted", [("FY2022", -5.2), ("FY2023", -2.1), ("FY2024", 1.4)]),
    Series("Reported", [("FY2022", -8.0), ("FY2023", -6.5)]),
], "bar")
MARGIN = Panel("Gross margin", "%", [Series("Group", [("FY2022", 41.2), ("FY2023", 44.0)])])
EMPTY = Panel("Top-5 customers", "%", [Series("Group", [])])


def parse(svg: str) -> ET.Element:
    root = ET.fromstring(svg)
    assert root.tag == f"{NS}svg"
    return root


def by_class(root: ET.Element, cls: str) -> list[ET.Element]:
    return [e for e in root.iter() if cls in (e.get("class") or "").split()]


def texts(root: ET.Element) -> list[str]:
    return ["".join(e.itertext()) for e in root.iter(f"{NS}text")]


def all_outputs() -> list[str]:
    return [score_weight_chart(BARS), score_weight_chart([]), period_panels([REVENUE, PROFIT, MARGIN, EMPTY]),
            period_panels([MARGIN]), period_panels([])]


@pytest.mark.parametrize("index", range(5))
def test_root_is_accessible_and_print_sized(index: int) -> None:
    svg = all_outputs()[index]
    assert svg.startswith("<svg ") and svg.endswith("</svg>")
    root = parse(svg)
    assert root.get("role") == "img"
    assert root.get("width") == "100%"
    assert root.get("viewBox", "").startswith("0 0 760 ")
    assert "system-ui" in root.get("font-family", "")
    title = root.find(f"{NS}title")
    assert title is not None and title.text and root.get("aria-label") == title.text


def test_custom_title_is_used() -> None:
    root = parse(score_weight_chart(BARS, title="Scores & weights"))
    assert root.get("aria-label") == "Scores & weights"
    assert root.find(f"{NS}title").text == "Scores & weights"  # type: ignore[union-attr]


@pytest.mark.parametrize("index", range(5))
def test_no_external_references(index: int) -> None:
    svg = all_outputs()[index]
    assert svg.count(XMLNS) == 1
    rest = svg.replace(XMLNS, "").lower()
    # Not even url(#local): the memo's self-containment check rejects any url(.
    for forbidden in ("http", "href", "url(", "<image", "<script", "@import", "<style", "<foreignobject", " id="):
        assert forbidden not in rest


def test_deterministic() -> None:
    assert all_outputs() == all_outputs()
    assert period_panels([REVENUE, PROFIT]) == period_panels([REVENUE, PROFIT])


def test_numbers_use_fixed_decimals() -> None:
    for svg in all_outputs():
        for name, value in re.findall(r'\s(x|y|x1|y1|x2|y2|cx|cy|width|height)="([^"]*)"', svg):
            if value != "100%":
                assert re.fullmatch(r"-?\d+\.\d", value), (name, value)


def test_labels_are_escaped() -> None:
    nasty = '<script>alert("x")</script> & \'q\' 客户集中度'
    svg_a = score_weight_chart([ScoreBar(nasty, 50.0, 10.0, "Elevated")], title=nasty)
    svg_b = period_panels([Panel(nasty, "<%>", [Series(nasty, [(nasty, 1.0)]), Series("b&c", [("FY2022", 2.0)])])], title=nasty)
    for svg in (svg_a, svg_b):
        assert "<script" not in svg
        assert "&lt;script&gt;" in svg
        root = parse(svg)
        assert root.get("aria-label") == nasty
        assert any(nasty in (t.text or "") for t in root.iter(f"{NS}title") if t is not root.find(f"{NS}title"))
    assert nasty in texts(parse(svg_b))  # the period id on the x axis
    assert {"1&lt;%&gt;", "b&amp;c"} <= set(re.findall(r">([^<>]+)</text>", svg_b))


def test_long_labels_are_shortened_with_full_text_in_tooltip() -> None:
    label = "Technology dependence on licensed third-party platforms"
    (row,) = by_class(parse(score_weight_chart([ScoreBar(label, 30.0, 10.0, "Moderate")])), "score-row")
    shown = [t for t in texts(row) if t.startswith("Technology")]
    assert len(shown) == 1 and shown[0].endswith("…") and len(shown[0]) < len(label)
    assert label in row.find(f"{NS}title").text  # type: ignore[union-attr,operator]


def test_characters_illegal_in_xml_are_dropped() -> None:
    parse(score_weight_chart([ScoreBar("bad\x00\x1b label", 10.0, 5.0, "Low")]))


# --- score_weight_chart ---------------------------------------------------------------------

def test_one_row_per_rubric_in_order() -> None:
    rows = by_class(parse(score_weight_chart(BARS)), "score-row")
    assert len(rows) == len(BARS)
    for row, bar in zip(rows, BARS, strict=True):
        assert bar.label in texts(row)


@pytest.mark.parametrize("band,colour", sorted(BAND_COLOURS.items()))
def test_bar_colour_for_each_band(band: str, colour: str) -> None:
    (row,) = by_class(parse(score_weight_chart([ScoreBar("R", 50.0, 10.0, band)])), "score-row")
    (rect,) = by_class(row, "score-bar")
    assert rect.get("fill") == colour


def test_expected_palette() -> None:
    assert BAND_COLOURS == {"Low": "#2e7d32", "Moderate": "#9e9d24", "Elevated": "#f9a825", "High": "#ef6c00", "Severe": "#c62828"}


def test_missing_band_is_derived_from_score() -> None:
    rows = by_class(parse(score_weight_chart([ScoreBar("a", 10.0, 5.0, None), ScoreBar("b", 85.0, 5.0, "??")])), "score-row")
    assert [by_class(r, "score-bar")[0].get("fill") for r in rows] == [BAND_COLOURS["Low"], BAND_COLOURS["Severe"]]


def test_not_scored_is_grey_and_labelled() -> None:
    root = parse(score_weight_chart(BARS))
    row = by_class(root, "score-row")[2]
    assert "not scored" in texts(row)
    assert by_class(row, "score-bar")[0].get("fill") == NOT_SCORED
    assert not any(re.fullmatch(r"\d+(\.\d)?", t) for t in texts(row))


def test_score_and_weight_are_printed() -> None:
    """The score reads as the rubric table writes it (one decimal): one value, one text."""
    rows = by_class(parse(score_weight_chart(BARS)), "score-row")
    assert {"72.0", "weight 20%"} <= set(texts(rows[0]))
    assert {"12.5", "weight 15%"} <= set(texts(rows[1]))


def test_bar_length_is_proportional_and_clamped() -> None:
    rows = by_class(parse(score_weight_chart([ScoreBar("a", 25.0, 1, "Moderate"), ScoreBar("b", 100.0, 1, "Severe"),
                                              ScoreBar("c", 130.0, 1, "Severe")])), "score-row")
    widths = [float(by_class(r, "score-bar")[0].get("width", "")) for r in rows]
    assert widths[0] * 4 == pytest.approx(widths[1], abs=0.2)
    assert widths[2] == widths[1]


def test_band_edge_gridlines_and_axis_labels() -> None:
    root = parse(score_weight_chart(BARS))
    assert len(by_class(root, "gridline")) == 4
    assert {"0", "20", "40", "60", "80", "100"} <= set(texts(root))


def test_empty_score_chart() -> None:
    assert "no data on file" in texts(parse(score_weight_chart([])))


# --- period_panels --------------------------------------------------------------------------

@pytest.mark.parametrize("count", [1, 2, 3, 4])
def test_one_group_per_panel_and_grid_layout(count: int) -> None:
    root = parse(period_panels([REVENUE, PROFIT, MARGIN, EMPTY][:count]))
    groups = by_class(root, "panel")
    assert len(groups) == count
    offsets = [tuple(map(float, re.findall(r"-?\d+\.\d", g.get("transform", "")))) for g in groups]
    columns, rows = {x for x, _ in offsets}, {y for _, y in offsets}
    assert (len(columns), len(rows)) == ((count, 1) if count < 3 else (2, 2))


def test_panel_titles_and_x_axis_in_first_seen_order() -> None:
    panel = Panel("Mixed", "", [Series("a", [("FY2023", 1.0), ("2025H1", 2.0)]), Series("b", [("FY2022", 3.0), ("FY2023", 4.0)])])
    (group,) = by_class(parse(period_panels([panel])), "panel")
    labels = [t for t in texts(group) if t in {"FY2022", "FY2023", "2025H1"}]
    assert labels == ["FY2023", "2025H1", "FY2022"]
    assert "Mixed" in texts(group)


def test_value_labels_carry_the_unit() -> None:
    root = parse(period_panels([MARGIN, REVENUE]))
    assert {"41.2%", "44%", "13.7", "30.8"} <= set(texts(root))


def test_negative_values_draw_a_zero_line() -> None:
    root = parse(period_panels([PROFIT, MARGIN]))
    profit, margin = by_class(root, "panel")
    assert len(by_class(profit, "zero-line")) == 1
    assert by_class(margin, "zero-line") == []
    assert {"-5.2", "-8"} <= set(texts(profit))


def test_y_axis_includes_zero_and_covers_data() -> None:
    (group,) = by_class(parse(period_panels([MARGIN])), "panel")
    ticks = [float(t[:-1]) for t in texts(group) if re.fullmatch(r"-?[\d,]+(\.\d+)?%", t)]
    assert min(ticks) == 0 and max(ticks) >= 44.0


def test_legend_only_with_several_series() -> None:
    profit, margin = by_class(parse(period_panels([PROFIT, MARGIN])), "panel")
    assert len(by_class(profit, "legend")) == 1 and {"Adjusted", "Reported"} <= set(texts(profit))
    assert by_class(margin, "legend") == []


def test_bar_panel_draws_first_series_as_bars_and_others_as_lines() -> None:
    (group,) = by_class(parse(period_panels([PROFIT])), "panel")
    assert len(by_class(group, "bar")) == 3
    assert len(group.findall(f".//{NS}polyline")) == 1
    assert len(by_class(group, "point")) == 2


def test_interim_bars_are_pale_hatched_and_noted() -> None:
    root = parse(period_panels([REVENUE]))
    bars = by_class(root, "bar")
    assert [b.get("fill") == INTERIM_FILL for b in bars] == [False, False, True]
    assert [b.get("fill") == bars[0].get("fill") for b in bars] == [True, True, False]
    (hatch,) = by_class(root, "hatch")
    assert hatch.get("d", "").count("M") >= 5
    assert any("H1 = half-year" in t for t in texts(root))


def test_hatch_stays_inside_its_bar() -> None:
    root = parse(period_panels([Panel("Loss", "", [Series("a", [("FY2024", -3.0), ("2025H1", -1.0)])], "bar")]))
    bar = by_class(root, "interim")[0]
    x, y, w, h = (float(bar.get(k, "")) for k in ("x", "y", "width", "height"))
    coords = [float(c) for c in re.findall(r"-?\d+\.\d", by_class(root, "hatch")[0].get("d", ""))]
    assert all(x - 0.05 <= cx <= x + w + 0.05 for cx in coords[0::2])
    assert all(y - 0.05 <= cy <= y + h + 0.05 for cy in coords[1::2])


def test_interim_points_on_lines_are_hollow_and_noted() -> None:
    panel = Panel("Margin", "%", [Series("g", [("FY2024", 40.0), ("2025H1", 42.0)])])
    root = parse(period_panels([panel]))
    annual, interim = by_class(root, "point")
    assert annual.get("fill") != interim.get("fill") == "#ffffff"
    assert any("H1 = half-year" in t for t in texts(root))


def test_no_interim_no_note_and_no_pattern() -> None:
    svg = period_panels([PROFIT, MARGIN])
    assert "half-year" not in svg and "hatch" not in svg and INTERIM_FILL not in svg


@pytest.mark.parametrize("panel", [EMPTY, Panel("Nothing", "", []), Panel("NaN", "", [Series("a", [("FY2022", float("nan"))])])])
def test_empty_panel_says_no_data_on_file(panel: Panel) -> None:
    root = parse(period_panels([MARGIN, panel]))
    margin, empty = by_class(root, "panel")
    assert "no data on file" in texts(empty)
    assert "no data on file" not in texts(margin)


def test_no_panels_at_all() -> None:
    assert "no data on file" in texts(parse(period_panels([])))


@pytest.mark.parametrize("kind", ["bar", "line"])
def test_single_point_series(kind: str) -> None:
    root = parse(period_panels([Panel("One", "%", [Series("a", [("FY2024", 12.0)])], kind)]))
    assert "12%" in texts(root) and "FY2024" in texts(root)


def test_all_zero_values() -> None:
    root = parse(period_panels([Panel("Zero", "", [Series("a", [("FY2023", 0.0), ("FY2024", 0.0)])], "bar")]))
    assert texts(root).count("0") >= 2


def test_unknown_kind_is_rejected() -> None:
    with pytest.raises(ValueError, match="kind"):
        period_panels([Panel("x", "", [Series("a", [("FY2024", 1.0)])], "pie")])


# --- legibility: units on axes, labels apart, legends inside, time to scale ----------------

def _value_labels(root: ET.Element) -> list[tuple[float, float, str]]:
    return [(float(e.get("x")), float(e.get("y")), "".join(e.itertext())) for e in by_class(root, "value")]  # type: ignore[arg-type]


def test_percent_panels_put_the_unit_on_the_y_axis() -> None:
    (group,) = by_class(parse(period_panels([MARGIN])), "panel")
    assert {"0%", "20%"} <= set(texts(group))
    (group,) = by_class(parse(period_panels([REVENUE])), "panel")
    assert not any(t.endswith("%") for t in texts(group))


@pytest.mark.parametrize(("a", "b"), [(91.6, 87.0), (50.0, 50.0), (10.0, 9.0), (100.0, 99.0)])
def test_value_labels_at_one_x_never_overlap(a: float, b: float) -> None:
    panel = Panel("Scores", "", [Series("A", [("2024-01-01", a)]), Series("B", [("2024-01-01", b)])], "line", scale=(0, 100))
    labels = _value_labels(parse(period_panels([panel])))
    assert len(labels) == 2
    (_, y1, _), (_, y2, _) = labels
    assert abs(y1 - y2) >= 10


def test_series_labels_are_the_documents_texts() -> None:
    panel = Panel("Revenue (RMB 亿)", "", [Series("r", [("FY2023", 18.63), ("FY2024", 54.96)], ["18.63", "about 55"])], "bar")
    assert [t for _, _, t in _value_labels(parse(period_panels([panel])))] == ["18.63", "about 55"]


def test_a_long_legend_wraps_inside_its_panel() -> None:
    names = ["Customer concentration", "Technology dependence", "Losses and cash burn"]
    panels = [Panel("Rubric scores (1 of 2)", "", [Series(n, [("FY2024", 10.0 * k)]) for k, n in enumerate(names)]), MARGIN, MARGIN]
    root = parse(period_panels(panels))
    group = by_class(root, "panel")[0]
    width = float(group.find(f"{NS}rect").get("width"))  # type: ignore[union-attr,arg-type]
    for e in by_class(group, "legend")[0].iter(f"{NS}text"):
        assert float(e.get("x")) + len("".join(e.itertext())) * 0.56 * 9 <= width + 1  # type: ignore[arg-type]
    assert len({e.get("y") for e in by_class(group, "legend")[0].iter(f"{NS}text")}) == 2


def test_dated_keys_are_spaced_in_proportion_to_time() -> None:
    dates = ["2021-04-01", "2024-12-31", "2025-09-30", "2026-06-30"]
    panel = Panel("Overall score", "", [Series("s", [(d, 50.0) for d in dates])], "line", dates, interims=False, scale=(0, 100), dated=True)
    xs = [float(e.get("cx")) for e in by_class(parse(period_panels([panel])), "point")]  # type: ignore[arg-type]
    gaps = [b - a for a, b in itertools.pairwise(xs)]
    import datetime as dt

    days = [(dt.date.fromisoformat(b) - dt.date.fromisoformat(a)).days for a, b in itertools.pairwise(dates)]
    assert gaps[0] / gaps[1] == pytest.approx(days[0] / days[1], rel=0.02)
    even = Panel("x", "", [Series("s", [(d, 50.0) for d in dates])], "line", dates, interims=False)
    xs = [float(e.get("cx")) for e in by_class(parse(period_panels([even])), "point")]  # type: ignore[arg-type]
    assert max(xs[i + 1] - xs[i] for i in range(3)) - min(xs[i + 1] - xs[i] for i in range(3)) < 0.5  # periods stay in even slots


def test_an_empty_period_chart_says_so_in_the_documents_language() -> None:
    from riskscore.report import charts
    from riskscore.report.i18n import Translator, catalogue

    assert "no data on file" in charts.period_panels([])
    zh = Translator("zh", catalogue("zh", []))
    with charts.language(zh.gettext, "zh"):
        drawn = charts.period_panels([])
    assert "no data on file" not in drawn and zh.gettext("no data on file") in drawn
