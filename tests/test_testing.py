"""The contract kit (riskscore/testing): check_rubric / contract_failures."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from riskscore.profile.load import load_profile
from riskscore.scoring import registry
from riskscore.scoring.config import load_config
from riskscore.scoring.contract import DataGap, Evidence, Rubric, RubricParams, RubricResult
from riskscore.scoring.scale import band_for
from riskscore.testing import EMPTY_PROFILE, SAMPLE_PROFILE, ContractError, check_rubric, contract_failures, sample_profiles

ROOT = Path(__file__).resolve().parents[1]
WEDOCTOR = ROOT / "companies" / "wedoctor.yaml"
GOLDEN = ROOT / "tests" / "golden" / "minimal.yaml"  # profile id 'golden-co'


@pytest.mark.parametrize("rubric", registry.select(load_config(None)), ids=lambda r: r.id)
def test_every_builtin_rubric_honours_the_contract(rubric: type[Rubric]) -> None:
    check_rubric(rubric, [WEDOCTOR, GOLDEN])
    assert contract_failures(rubric) == []


def test_sample_profiles_are_the_shipped_complete_and_empty_ones() -> None:
    sample, empty = sample_profiles()
    assert (sample.id, empty.id) == ("sample-co", "empty-co")
    assert SAMPLE_PROFILE.is_file() and EMPTY_PROFILE.is_file()
    assert sample.periods and not empty.periods


class Good(Rubric):
    """Good: a score when the profile has periods, else a data gap.

    Scores 25 whenever any period is on file; with none, returns no score and a data gap.
    """

    id = "good"
    title = "Good"
    version = "1.0"
    default_weight = 5
    contract_version = 1

    def score(self, profile, params):  # type: ignore[no-untyped-def]
        if not profile.periods:
            return RubricResult(data_gaps=[DataGap(field="periods", reason="No period on file.")])
        return RubricResult(score=25, band=band_for(25), evidence=[Evidence(statement="has periods", sources=[profile.sources[0].id])])


def test_a_good_rubric_passes() -> None:
    check_rubric(Good)
    check_rubric(Good, [WEDOCTOR])


_calls = itertools.count()


class Broken(Rubric):
    """A broken rubric with a one-paragraph docstring and no method."""

    id = "Bad-Id"
    title = "Broken"
    version = "0.1"
    default_weight = 5
    contract_version = 1

    class Params(RubricParams):
        level: float = 10

    def score(self, profile, params):  # type: ignore[no-untyped-def]
        if profile.id == "empty-co":
            raise KeyError("revenue")
        if profile.id == "sample-co":
            profile.notes.append("touched by the rubric")  # frozen model, mutable list inside
            level = params.level + next(_calls)  # a different score on every call
            return RubricResult(score=level, band=band_for(level), evidence=[Evidence(statement="cites a ghost", sources=["ghost-source"])])
        if profile.id == "golden-co":
            return RubricResult.model_construct(score=70.0, band="Low", coverage=1.0, metrics=[], adjustments=[], evidence=[],
                                                red_flags=[], data_gaps=[], scenarios=[], narrative="")
        return RubricResult(score=None)  # no score and no data gap


def test_a_broken_rubric_fails_listing_every_problem_at_once() -> None:
    with pytest.raises(ContractError) as info:
        check_rubric(Broken, [GOLDEN, WEDOCTOR])
    message = str(info.value)
    assert message.startswith("Broken breaks the rubric contract:\n")
    expected = [
        "id must be a lower-case slug such as 'cash_runway'; got 'Bad-Id'",
        "the docstring must explain the method after its first paragraph",
        "score mutated profile 'sample-co'; treat the profile as read-only",
        "score is not deterministic on profile 'sample-co'",
        "the result on profile 'sample-co' cites unknown source ids ['ghost-source']",
        f"score raised KeyError: 'revenue' at {__file__}:{RAISE_LINE} (in score: raise KeyError(\"revenue\")) on the empty sample profile",
        "RubricResult(score=None, data_gaps=[...])",  # the hint for the empty profile
        "the result on profile 'golden-co' does not validate",
        "band 'Low' does not match score 70.0",
        "a result without a score on profile 'wedoctor' must list data gaps",
    ]
    missing = [line for line in expected if line not in message]
    assert not missing, message
    assert isinstance(info.value, AssertionError)  # pytest shows it as a plain assertion failure
    failures = contract_failures(Broken, [GOLDEN, WEDOCTOR])
    assert not [f for f in failures if f.startswith(("title", "version", "default_weight", "Params", "built for"))]  # nothing it does right


RAISE_LINE = next(n for n, line in enumerate(Path(__file__).read_text(encoding="utf-8").splitlines(), 1) if 'raise KeyError("revenue")' in line)


def _helper_that_raises(profile: object) -> None:
    raise LookupError(f"nothing for {profile}")


class RaisesInAHelper(Rubric):
    """Raises from a helper it calls.

    Calls a helper that raises on every profile.
    """

    id = "raises_in_a_helper"
    title = "Raises in a helper"
    version = "1.0"
    default_weight = 1
    contract_version = 1

    def score(self, profile, params):  # type: ignore[no-untyped-def]
        return _helper_that_raises(profile.id)


def test_a_raising_rubric_is_reported_with_the_file_and_line_that_raised() -> None:
    """A helper in the rubric's own module is the rubric's code: its raising line is the one reported."""
    lines = Path(__file__).read_text(encoding="utf-8").splitlines()
    raise_line = next(n for n, line in enumerate(lines, 1) if 'raise LookupError(f"nothing for {profile}")' in line)
    [first, *_] = contract_failures(RaisesInAHelper)
    assert first == (f"score raised LookupError: nothing for sample-co at {__file__}:{raise_line} "
                     f"(in _helper_that_raises: raise LookupError(f\"nothing for {{profile}}\")) on profile 'sample-co'")


def test_an_exception_raised_inside_riskscore_names_the_rubric_line_and_the_innermost_frame() -> None:
    class BadGrid(Good):
        """Scores a NaN on a grid.

        Grid.score refuses NaN, raising inside riskscore.
        """

        def score(self, profile, params):  # type: ignore[no-untyped-def]
            from riskscore.rubric import Grid

            Grid.of([[0, 0], [1, 100]]).score(float("nan"))

    import riskscore.scoring.scale as scale

    [first, *_] = contract_failures(BadGrid)
    assert "score raised ValueError: cannot score a metric that is not a number at " + __file__ in first
    assert "(in score: Grid.of([[0, 0], [1, 100]]).score(float(\"nan\")))" in first
    assert f"from {scale.__file__}:" in first and "(in score) on profile 'sample-co'" in first


class Unconfigurable(Rubric):
    """Unconfigurable: its parameters have no defaults."""

    id = "unconfigurable"
    title = ""
    version = 1  # type: ignore[assignment]
    default_weight = -3
    contract_version = 1

    class Params(RubricParams):
        threshold: float  # no default and nothing configures it

    def score(self, profile, params):  # type: ignore[no-untyped-def]
        raise AssertionError("never called: the parameters do not validate")


def test_params_without_defaults_reported_with_the_metadata_problems() -> None:
    failures = contract_failures(Unconfigurable)
    text = "\n".join(failures)
    assert "title must be a non-empty string" in text
    assert "version must be a string such as '1.0'" in text
    assert "default_weight must be a number >= 0; got -3" in text
    assert "the docstring must explain the method" in text
    assert "Params.threshold has no default; every parameter needs one" in text
    assert "defaults.toml" not in text  # the plugin's problem, not the packaged defaults'
    with pytest.raises(ContractError, match="Params.threshold has no default"):
        check_rubric(Unconfigurable)


def test_params_without_defaults_are_refused_even_when_a_config_file_sets_them(tmp_path: Path) -> None:
    """Discovery refuses such a rubric whatever the configuration says, so the kit does too."""
    class Configured(Good):
        """Configured: its threshold comes from the configuration.

        Scores like Good.
        """

        id = "good"

        class Params(RubricParams):
            threshold: float
            other: float

    cfg = tmp_path / "riskscore.toml"
    cfg.write_text("[rubrics.good]\nthreshold = 3\nother = 1\n", encoding="utf-8")
    assert contract_failures(Configured, config_path=cfg) == ["Params.threshold, Params.other have no default; every parameter needs one"]


class ReturnsDict(Rubric):
    """Returns a dict.

    Builds its result by hand instead of with RubricResult.
    """

    id = "returns_dict"
    title = "Returns dict"
    version = "0.1"
    default_weight = 1
    contract_version = 1

    def score(self, profile, params):  # type: ignore[no-untyped-def]
        return {"score": 10, "band": "Low"}


def test_a_rubric_returning_a_dict_is_reported() -> None:
    failures = contract_failures(ReturnsDict)
    assert failures == [
        "score returned dict on profile 'sample-co', not a RubricResult",
        "score returned dict on the empty sample profile, not a RubricResult",
    ]


class FailsOnWeDoctor(Good):
    """Good, except that it raises on one profile.

    Raises on the WeDoctor profile only.
    """

    def score(self, profile, params):  # type: ignore[no-untyped-def]
        if profile.id == "wedoctor":
            raise ZeroDivisionError("division by zero")
        return super().score(profile, params)


def test_extra_profiles_given_by_path_or_object_are_used() -> None:
    check_rubric(FailsOnWeDoctor)  # the sample profiles alone do not reach the bug
    for extra in (WEDOCTOR, str(WEDOCTOR), load_profile(WEDOCTOR)):
        with pytest.raises(ContractError) as info:
            check_rubric(FailsOnWeDoctor, [extra])
        assert "score raised ZeroDivisionError: division by zero at " + __file__ in str(info.value)
        assert "(in score: raise ZeroDivisionError(\"division by zero\")) on profile 'wedoctor'" in str(info.value)


def test_an_extra_profile_that_does_not_load_is_an_input_error(tmp_path: Path) -> None:
    from riskscore.errors import InputError

    with pytest.raises(InputError):
        check_rubric(Good, [tmp_path / "missing.yaml"])


def test_not_a_rubric_class() -> None:
    assert contract_failures(object) == ["<class 'object'> is not a subclass of riskscore.rubric.Rubric"]
    with pytest.raises(ContractError, match="not a subclass"):
        check_rubric(Good())  # type: ignore[arg-type]  # an instance, not the class


def test_unsupported_contract_version_is_reported() -> None:
    class Future(Good):
        """Future: built for a later contract.

        Scores like Good.
        """

        contract_version = 2

    failures = contract_failures(Future)
    assert failures == ["built for rubric contract 2; this riskscore supports contract version 1"]


@pytest.mark.parametrize("declared, expected", [
    ("1", "built for rubric contract '1'; this riskscore supports contract version 1 (write contract_version = 1, an int, not the string '1')"),
    (1.0, "built for rubric contract 1.0; this riskscore supports contract version 1"),
    (True, "built for rubric contract True; this riskscore supports contract version 1"),
    (None, "built for rubric contract None; this riskscore supports contract version 1"),
])
def test_a_contract_version_of_the_wrong_type_is_shown_with_repr(declared: object, expected: str) -> None:
    Odd = type("Odd", (Good,), {"__doc__": Good.__doc__, "contract_version": declared})
    assert contract_failures(Odd) == [expected]


def test_a_missing_contract_version_is_reported_with_what_to_write() -> None:
    class Unversioned(Rubric):
        """Unversioned: declares no contract version.

        Scores nothing.
        """

        id = "unversioned"
        title = "Unversioned"
        version = "1.0"
        default_weight = 1

        def score(self, profile, params):  # type: ignore[no-untyped-def]
            return RubricResult(data_gaps=[DataGap(field="x", reason="y")])

    assert contract_failures(Unversioned) == ["contract_version is missing: set contract_version = 1, "
                                              "the rubric contract version the class was written for"]


def test_missing_id_is_reported_not_a_crash() -> None:
    """Without an id the kit cannot configure the rubric; it says so rather than crash."""
    class NoId(Rubric):
        """No id.

        Scores nothing.
        """

        title = "No id"
        version = "1.0"
        default_weight = 1
        contract_version = 1

        def score(self, profile, params):  # type: ignore[no-untyped-def]
            return RubricResult(data_gaps=[DataGap(field="x", reason="y")])

    with pytest.raises(ContractError, match="id must be a lower-case slug"):
        check_rubric(NoId)


def test_contract_version_reported_alongside_missing_metadata() -> None:
    """The contract version is checked on its own, not only when the rest of the metadata is present."""
    class FutureNoTitle(Rubric):
        """Missing a title and built for a later contract.

        Scores nothing.
        """

        id = "future_no_title"
        version = "1.0"
        default_weight = 1
        contract_version = 2

        def score(self, profile, params):  # type: ignore[no-untyped-def]
            return RubricResult(data_gaps=[DataGap(field="x", reason="y")])

    text = "\n".join(contract_failures(FutureNoTitle))
    assert "title must be a non-empty string" in text
    assert "built for rubric contract 2" in text


def test_invalid_result_does_not_hide_the_other_checks() -> None:
    """An invalid result is reported, and the determinism and source checks still run on it."""
    counter = itertools.count()

    class InvalidAndMore(Rubric):
        """Invalid band, non-deterministic, citing a ghost.

        Scores 70 with band Low, adding one per call.
        """

        id = "invalid_and_more"
        title = "Invalid and more"
        version = "1.0"
        default_weight = 1
        contract_version = 1

        def score(self, profile, params):  # type: ignore[no-untyped-def]
            if not profile.periods:
                return RubricResult(data_gaps=[DataGap(field="periods", reason="none")])
            return RubricResult.model_construct(score=70.0 + next(counter), band="Low", coverage=1.0, metrics=[], adjustments=[],
                                                evidence=[Evidence(statement="x", sources=["ghost"])], red_flags=[], data_gaps=[],
                                                scenarios=[], narrative="")

    text = "\n".join(contract_failures(InvalidAndMore))
    assert "does not validate" in text
    assert "score is not deterministic on profile 'sample-co'" in text
    assert "cites unknown source ids ['ghost']" in text


# --------------------------------------------------------------------------- languages


class Bilingual(Rubric):
    """Bilingual: every text a message, every message translated.

    Scores 25 when a period is on file, with a Chinese catalogue for all it says.
    """

    id = "bilingual"
    title = "Bilingual"
    version = "1.0"
    default_weight = 5
    contract_version = 1
    messages = {"zh": {
        "bilingual.title": "双语", "bilingual.description": "双语：全部为消息。", "bilingual.method": "有期间时评25分。",
        "bilingual.periods": "收录{count}个期间，最近为{period:period}。", "bilingual.gap": "没有期间。",
    }}

    def score(self, profile, params):  # type: ignore[no-untyped-def]
        from riskscore.rubric import Message

        if not profile.periods:
            return RubricResult(data_gaps=[DataGap(field="periods", reason=Message("bilingual.gap", "No period on file."))])
        text = Message("bilingual.periods", "{count} periods on file, the latest {period:period}.", count=len(profile.periods),
                       period=profile.periods_by_end()[-1].id)
        return RubricResult(score=25, band=band_for(25), narrative=text, evidence=[Evidence(statement=text, sources=[profile.sources[0].id])])


def test_a_rubric_whose_messages_render_in_both_languages_passes() -> None:
    check_rubric(Bilingual, [WEDOCTOR])


def test_a_rubric_without_a_catalogue_renders_in_english_and_passes() -> None:
    class EnglishOnly(Bilingual):
        """English only: messages, but no catalogue.

        Falls back to English in a Chinese memo.
        """

        messages = {}

    check_rubric(EnglishOnly)
    check_rubric(Good)  # plain strings, no catalogue: English in every memo


@pytest.mark.parametrize(("translations", "expected"), [
    ({"bilingual.periods": "收录{count}个期间，截至{as_of}。"},
     "narrative on profile 'sample-co' does not render in Chinese (bilingual.periods): KeyError: 'message parameter {as_of} not given'"),
    ({"bilingual.periods": "收录{count个期间。"},
     "the Chinese translation of 'bilingual.periods' is not a valid message text"),
    ({"bilingual.periods": None},
     "the Chinese catalogue leaves untranslated on profile 'sample-co': bilingual.periods"),
    ({"bilingual.method": None, "bilingual.gap": None},
     "the Chinese catalogue leaves untranslated on the empty sample profile: bilingual.gap, bilingual.method"),
])
def test_a_catalogue_that_does_not_fit_its_messages_fails(translations: dict, expected: str) -> None:
    zh = {k: v for k, v in {**Bilingual.messages["zh"], **translations}.items() if v is not None}
    broken = type("Broken", (Bilingual,), {"__doc__": Bilingual.__doc__, "messages": {"zh": zh}})
    failures = contract_failures(broken)
    assert any(expected in f for f in failures), failures


def test_a_rubric_that_ships_a_catalogue_must_not_return_plain_sentences() -> None:
    class HalfTranslated(Bilingual):
        """Half translated: a catalogue, and one plain English sentence.

        The plain sentence cannot be translated.
        """

        def score(self, profile, params):  # type: ignore[no-untyped-def]
            result = super().score(profile, params)
            return result.model_copy(update={"narrative": "Plain English."}) if profile.periods else result

    failures = contract_failures(HalfTranslated)
    assert failures == ["narrative on profile 'sample-co' is a plain string, 'Plain English.': a rubric that ships a Chinese catalogue "
                        "must return a Message (riskscore.rubric.Message) there, so that it can be translated"]


@pytest.mark.parametrize("rubric", registry.select(load_config(None)), ids=lambda r: r.id)
def test_every_builtin_rubric_renders_in_chinese_with_its_catalogue(rubric: type[Rubric]) -> None:
    from riskscore.testing import language_failures

    for path in (WEDOCTOR, GOLDEN):
        profile = load_profile(path)
        result = rubric().score(profile, registry.params_for(rubric, load_config(None)))
        assert language_failures(rubric, result, profile.id) == []
