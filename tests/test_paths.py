"""The one path grammar (riskscore.profile.paths): written and read back the same way by the
profile's error messages, the rubrics' metric paths, data-quality findings and what-if."""

from __future__ import annotations

from pathlib import Path

import pytest

from riskscore.profile import paths
from riskscore.profile.paths import Item


@pytest.mark.parametrize(("parts", "text"), [
    (["periods", Item("FY2022"), "revenue"], "periods[FY2022].revenue"),
    (["periods", Item("2025H1"), "segments", Item("AI medical services"), "gross_margin"],
     "periods[2025H1].segments[AI medical services].gross_margin"),
    (["capital_structure", "instruments", 0, "amount"], "capital_structure.instruments[0].amount"),
    (["technology", "core", Item("0"), "control"], "technology.core[0].control"),
    (["as_of"], "as_of"),
    ([Item("x"), "y"], "[x].y"),
])
def test_join_and_parse_are_inverse(parts: list[paths.Part | int], text: str) -> None:
    assert paths.join(parts) == text
    assert paths.parse(text) == [Item(str(p)) if isinstance(p, int) else p for p in parts]


def test_period_paths_as_rubrics_write_them() -> None:
    assert paths.period("2025H1", "customers", "largest_share") == "periods[2025H1].customers.largest_share"
    assert paths.period("FY2022", "segments[Cloud]", "gross_margin") == "periods[FY2022].segments[Cloud].gross_margin"
    assert paths.parse(paths.period("FY2022", "segments[Cloud]", "gross_margin")) == [
        "periods", Item("FY2022"), "segments", Item("Cloud"), "gross_margin"]


@pytest.mark.parametrize("bad", ["", ".", "a..b", "a.", ".a", "a[b]c", "a[]", "a[b", "a b", "periods[FY2022]-revenue", "1a"])
def test_parse_refuses_what_it_cannot_read(bad: str) -> None:
    with pytest.raises(ValueError, match="cannot read"):
        paths.parse(bad)


def test_the_three_writers_share_the_grammar() -> None:
    """The profile's describe_loc, facts.path and what-if's reader agree on one path."""
    from riskscore.analysis import whatif
    from riskscore.profile.load import load_profile
    from riskscore.scoring import facts

    profile = load_profile(Path(__file__).parent.parent / "companies" / "wedoctor.yaml")
    period = profile.period("2025H1")
    index = profile.periods.index(period)
    written = facts.path(period, "customers", "largest_share")
    assert written == profile.describe_loc(("periods", index, "customers", "largest_share"))
    changed = whatif.apply(profile, [whatif.Assignment(written, "40%")])
    assert changed.period("2025H1").customers.largest_share.root[0].value == 40.0  # type: ignore[union-attr]
