"""The company profile: sourced facts about one IPO candidate, validated by pydantic.

A profile is data, never code: every figure is an *observation* that cites a source id,
and a figure may hold several observations when sources disagree (a restatement, a
rounding, a mistake). Nothing here decides which observation wins for scoring; that is
:mod:`riskscore.profile.evidence`. Unknown keys are rejected everywhere.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Sequence
from typing import Annotated, Any, ClassVar, Final, Literal, Protocol, TypeVar, get_args

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainSerializer,
    PrivateAttr,
    RootModel,
    ValidationError,
    field_serializer,
    field_validator,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from riskscore.profile.units import PartialDate, Unit, decimals_of, parse_percent

SCHEMA_VERSION: Final = 1

Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)]
SourceId = Annotated[str, Field(min_length=1, max_length=64)]
def _percent_text(value: float) -> str:
    """A percentage back in its written form (``-16.07`` -> ``'-16.07%'``), so a profile round-trips through JSON."""
    text = repr(float(value))
    return (f"{value:.12f}".rstrip("0").rstrip(".") if "e" in text else text.removesuffix(".0")) + "%"


Percent = Annotated[float, BeforeValidator(parse_percent), PlainSerializer(_percent_text, when_used="json"),
                    Field(json_schema_extra={"type": "string", "pattern": r"^[+-]?\d+(\.\d+)?%$"})]
Text = Annotated[str, Field(max_length=4000)]
QUOTE_MAX_CHARS = 300
"""A quote is a citation, not a copy of the article: one sentence or clause, at most this long."""
Quote = Annotated[str, Field(min_length=2, max_length=QUOTE_MAX_CHARS, description=(
    "The sentence the fact comes from, verbatim and in the source's language (checked by "
    "`riskscore validate`, and against the stored copy with --sources)."))]

SourceKind = Literal["prospectus", "regulator", "exchange", "research", "media"]
Bound = Literal["exact", "about", "at_least", "at_most"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


# --------------------------------------------------------------------------- sources


class Source(Strict):
    """A document that facts are taken from."""

    id: Slug
    title: Text
    publisher: Text
    date: PartialDate
    language: Annotated[str, Field(pattern=r"^[a-z]{2}(-[A-Za-z]{2,4})?$")] = "zh"
    kind: SourceKind
    file: str | None = Field(default=None, description="Path of the stored copy, relative to the profile's sources folder.")
    url: str | None = None
    note: Text | None = None


# --------------------------------------------------------------------------- figures


class _Observation(Strict):
    value_key: ClassVar[str]  # the field that holds the figure: "amount" or "value"
    source: SourceId
    filing: Slug | None = Field(default=None, description="Id of the filing the source quotes the figure from.")
    bound: Bound = Field(default="exact", description="'about' for 约, 'at_least' for 多/超/突破, 'at_most' for 不足/低于.")
    quote: Quote | None = None
    unverified: bool = Field(default=False, description="The source is doubtful or the figure could not be confirmed: "
                             "shown in the memo, ranked after verified observations.")
    superseded_by: SourceId | None = Field(default=None, description="Id of the source (or filing) whose observation of the "
                                           "same figure corrects this one.")
    note: Text | None = None

    _decimals: int = PrivateAttr(default=0)

    @model_validator(mode="wrap")
    @classmethod
    def _keep_written_precision(cls, data: Any, handler: Any) -> Any:
        obs = handler(data)
        # written into the private attributes' dict: assigning obs._decimals goes through
        # BaseModel.__setattr__, a tenth of the cost of validating an observation
        raw = data.get(cls.value_key) if isinstance(data, dict) else None
        if isinstance(raw, str):
            raw = raw.strip().rstrip("%").strip()
            obs.__pydantic_private__["_decimals"] = len(raw.split(".", 1)[1]) if "." in raw else 0
        elif isinstance(raw, (int, float)):
            obs.__pydantic_private__["_decimals"] = decimals_of(raw)
        return obs

    @property
    def decimals(self) -> int:
        """Decimal places the source wrote (``13.68`` -> 2): the figure's precision."""
        return self._decimals


MAX_AMOUNT = 1e16
"""Largest magnitude accepted in base currency units (10^16: far above any company's figures)."""


class MoneyObservation(_Observation):
    """An amount as one source states it: ``{amount: 13.7, unit: RMB 亿, source: dingjiaoone}``."""

    value_key: ClassVar[str] = "amount"
    amount: float = Field(allow_inf_nan=False)
    unit: Unit

    @field_serializer("amount", when_used="json")
    def _amount_as_written(self, amount: float) -> float | int:
        return int(amount) if self._decimals == 0 and amount.is_integer() else amount

    @model_validator(mode="after")
    def _plausible(self) -> MoneyObservation:
        base = abs(self.amount * self.unit.factor)
        if base > MAX_AMOUNT or 0 < base < 1e-6:
            raise PydanticCustomError(
                "implausible_amount", "{amount} {unit} is outside any plausible range (check the unit's scale)",
                {"amount": self.amount, "unit": str(self.unit)},
            )
        return self

    @property
    def base(self) -> float:
        """The amount in base currency units (yuan, dollars)."""
        return self.amount * self.unit.factor

    @property
    def half_step(self) -> float:
        """Half a unit of the last written digit, in base units: the rounding the figure admits."""
        return 0.5 * 10 ** (-self.decimals) * self.unit.factor


class PercentObservation(_Observation):
    """A percentage as one source states it: ``{value: 77.6%, source: dingjiaoone}``."""

    value_key: ClassVar[str] = "value"
    value: Percent = Field(allow_inf_nan=False)

    @field_serializer("value", when_used="json")
    def _value_as_written(self, value: float) -> str:
        """Back to the written form (``'77.6%'``), so a profile round-trips through JSON."""
        return f"{value:.{self._decimals}f}%"

    @property
    def base(self) -> float:
        """The percentage as a number (``77.6`` for 77.6%), for code that treats money and percentages alike."""
        return self.value

    @property
    def half_step(self) -> float:
        """Half a unit of the last written digit: the rounding the figure admits."""
        return 0.5 * 10 ** (-self.decimals)


class Statement(Strict):
    """A fact a source states in words, without a figure ("loss-making", "highly concentrated"),
    cited like an observation."""

    source: SourceId
    filing: Slug | None = Field(default=None, description="Id of the filing the source quotes it from.")
    quote: Quote | None = None
    unverified: bool = False
    note: Text | None = None


ConcentrationLevel = Literal["low", "moderate", "high", "very_high"]


class ConcentrationStatement(Statement):
    """Customer concentration as a source describes it in words (e.g. 高度依赖 → very_high)."""

    level: ConcentrationLevel


def _listify(value: Any) -> Any:
    return [value] if isinstance(value, dict) else value


_ObsT = TypeVar("_ObsT", bound=_Observation)


class _HasObservations(Protocol[_ObsT]):
    @property
    def root(self) -> list[_ObsT]: ...


class _Figure(RootModel):
    """One figure, as one or more observations. A single mapping is read as a one-item list."""

    model_config = ConfigDict(frozen=True)

    @model_validator(mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        value = _listify(value)
        if isinstance(value, list) and not value:
            raise PydanticCustomError("empty_figure", "a figure needs at least one observation; leave the key out when nothing is known")
        return value

    # A figure iterates its observations, where pydantic's BaseModel iterates (field, value) pairs.
    def __iter__(self: _HasObservations[_ObsT]) -> Iterator[_ObsT]:  # type: ignore[override]
        return iter(self.root)

    def __len__(self) -> int:
        return len(self.root)


class MoneyFigure(_Figure):
    """An amount in a profile, as one or more :class:`MoneyObservation` (several when sources disagree).

    Iterate it for every observation; read it with :func:`riskscore.rubric.value` for the
    one the engine uses.
    """

    root: list[MoneyObservation]


class PercentFigure(_Figure):
    """A percentage in a profile, as one or more :class:`PercentObservation` (several when sources disagree).

    Iterate it for every observation; read it with :func:`riskscore.rubric.value` for the
    one the engine uses.
    """

    root: list[PercentObservation]


Figure = MoneyFigure | PercentFigure


def _check_share(figure: PercentFigure | None, what: str) -> PercentFigure | None:
    """A share (of revenue, of the company) lies within 0-100%."""
    if figure is not None:
        for obs in figure:
            if not 0 <= obs.value <= 100:
                raise PydanticCustomError(
                    "share_range", "{what} must lie within 0%-100%; got {value}%", {"what": what, "value": obs.value}
                )
    return figure


def _check_margin(figure: PercentFigure | None) -> PercentFigure | None:
    if figure is not None:
        for obs in figure:
            if obs.value > 100:
                raise PydanticCustomError("margin_range", "a margin cannot exceed 100%; got {value}%", {"value": obs.value})
    return figure


# --------------------------------------------------------------------------- company and filings

FilingStatus = Literal["filed", "lapsed", "withdrawn", "listed"]


class Filing(Strict):
    """A listing application (e.g. an HKEX A1 filing) and what became of it.

    ``date`` is the filing date; a filing known only by the date it listed gives
    ``listing_date`` instead (its status is then ``listed``), and counts from that date.
    """

    id: Slug
    date: PartialDate | None = None
    listing_date: PartialDate | None = Field(default=None, description="Date the shares began trading, when the filing led to a listing.")
    exchange: Annotated[str, Field(min_length=2, max_length=32)]
    kind: Literal["listing_application", "prospectus", "other"] = "listing_application"
    status: FilingStatus
    amends: Slug | None = Field(default=None, description="Id of the filing this one amends or corrects; its figures supersede that filing's.")
    periods_reported: list[str] = Field(default_factory=list, description="Period ids the filing's financial information covers.")
    sources: list[SourceId] = Field(min_length=1)
    quote: Quote | None = None
    note: Text | None = None

    @model_validator(mode="after")
    def _dated(self) -> Filing:
        if self.date is None and self.listing_date is None:
            raise PydanticCustomError("filing_date", "a filing needs `date` (filed) or, when only that is known, `listing_date`")
        if self.listing_date is not None and self.status != "listed":
            raise PydanticCustomError("filing_listing_date", "`listing_date` is only for a filing whose status is listed; got status {status}",
                                      {"status": self.status})
        if self.date is not None and self.listing_date is not None and self.listing_date.end < self.date.start:
            raise PydanticCustomError("filing_order", "listed ({listed}) before it was filed ({filed})",
                                      {"listed": str(self.listing_date), "filed": str(self.date)})
        return self

    @property
    def known_date(self) -> PartialDate:
        """The date the filing became public: its filing date, else its listing date."""
        if self.date is not None:
            return self.date
        assert self.listing_date is not None  # _dated refuses a filing with neither
        return self.listing_date


class Identity(Strict):
    name: Text
    name_zh: Text | None = None
    domicile: Text | None = None
    sector: Text | None = None
    sources: list[SourceId] = Field(default_factory=list)


# --------------------------------------------------------------------------- financials

_PERIOD_RE = re.compile(r"^(?:FY(?P<fy>\d{4})|(?P<y>\d{4})(?:(?P<part>H1|H2|Q1|Q2|Q3|Q4)|-(?P<m>[1-9]|1[01])M))$")
# part -> (months from the fiscal year's start to the period's end, length in months)
_PART_MONTHS = {"H1": (6, 6), "H2": (12, 6), "Q1": (3, 3), "Q2": (6, 3), "Q3": (9, 3), "Q4": (12, 3)}


def _part(match: re.Match) -> tuple[int, int]:
    """(months from the fiscal year's start to the end, length): ``-8M`` is the first eight months."""
    if match["m"]:
        return int(match["m"]), int(match["m"])
    return _PART_MONTHS[match["part"]]


class Segment(Strict):
    """A business segment: its revenue or share of total revenue, and its gross margin."""

    name: Text
    name_zh: Text | None = None
    parent: Text | None = Field(default=None, description="Name of the segment this one is part of (a sub-segment).")
    revenue: MoneyFigure | None = None
    share: PercentFigure | None = None
    gross_margin: PercentFigure | None = None
    note: Text | None = None

    @field_validator("share")
    @classmethod
    def _share_range(cls, v: PercentFigure | None) -> PercentFigure | None:
        return _check_share(v, "a segment's share of revenue")

    @field_validator("gross_margin")
    @classmethod
    def _margin_range(cls, v: PercentFigure | None) -> PercentFigure | None:
        return _check_margin(v)


CounterpartyType = Literal["government", "state_program", "state_owned", "private", "related_party", "consumers", "other"]


class Customers(Strict):
    """Customer concentration. Under ASC 280 a government and the entities it controls are one customer."""

    largest_share: PercentFigure | None = None
    top5_share: PercentFigure | None = None
    largest_counterparty: Text | None = None
    largest_counterparty_type: CounterpartyType | None = None
    largest_relation: Literal["parent", "parent_affiliate", "shareholder", "related_party", "unrelated"] | None = Field(
        default=None, description="How the largest customers relate to the company (the parent or its affiliates: one group).")
    related_party_share: PercentFigure | None = Field(default=None, description="Revenue from related parties (the parent group) as a share of revenue.")
    concentration: ConcentrationStatement | None = Field(default=None, description="Concentration as a source describes it in words.")
    sources: list[SourceId] = Field(default_factory=list, description="Sources for the counterparty's identity, type and relation.")
    note: Text | None = None

    @field_validator("largest_share", "top5_share", "related_party_share")
    @classmethod
    def _shares(cls, v: PercentFigure | None, info: Any) -> PercentFigure | None:
        return _check_share(v, info.field_name.replace("_", " "))


class Period(Strict):
    """One reporting period: a fiscal year (``FY2024``) or an interim (``2025H1``, ``2024Q3``, or the first
    N months of a fiscal year, ``2024-8M``, ``2024-9M``).

    Profit fields carry their sign: a loss is negative (``adjusted_net_profit: -9.1``).
    """

    id: Annotated[str, Field(pattern=_PERIOD_RE.pattern)]
    revenue: MoneyFigure | None = None
    revenue_growth: PercentFigure | None = Field(default=None, description="Year-on-year growth as stated by the source.")
    gross_profit: MoneyFigure | None = None
    gross_margin: PercentFigure | None = None
    net_profit: MoneyFigure | None = Field(default=None, description="IFRS net profit (negative = loss).")
    adjusted_net_profit: MoneyFigure | None = Field(default=None, description="Non-IFRS adjusted net profit (negative = loss).")
    net_margin: PercentFigure | None = Field(default=None, description="IFRS net profit / revenue as stated (negative = loss).")
    adjusted_net_margin: PercentFigure | None = Field(default=None, description="Adjusted net profit / revenue as stated (negative = loss).")
    operating_profit: MoneyFigure | None = Field(default=None, description="Operating profit (negative = operating loss), beside the net result.")
    operating_cash_flow: MoneyFigure | None = None
    rnd_expense: MoneyFigure | None = None
    rnd_share: PercentFigure | None = Field(default=None, description="R&D expense as a share of revenue, as stated.")
    cash: MoneyFigure | None = Field(default=None, description="Cash and short-term investments at period end.")
    loss_making: Statement | None = Field(default=None, description="A source says the period was loss-making without giving the amount.")
    segments: list[Segment] = Field(default_factory=list)
    customers: Customers | None = None
    note: Text | None = None

    @field_validator("gross_margin", "net_margin", "adjusted_net_margin")
    @classmethod
    def _margins(cls, v: PercentFigure | None) -> PercentFigure | None:
        return _check_margin(v)

    @field_validator("rnd_share")
    @classmethod
    def _rnd_share(cls, v: PercentFigure | None) -> PercentFigure | None:
        return _check_share(v, "R&D as a share of revenue")

    @field_validator("revenue", "rnd_expense", "gross_profit")
    @classmethod
    def _not_negative(cls, figure: MoneyFigure | None, info: Any) -> MoneyFigure | None:
        if figure is not None and info.field_name != "gross_profit":
            for obs in figure:
                if obs.amount < 0:
                    raise PydanticCustomError("negative_amount", "{what} cannot be negative; got {amount}", {"what": info.field_name, "amount": obs.amount})
        return figure

    @property
    def is_annual(self) -> bool:
        """Whether the period is a fiscal year (``FY2024``)."""
        return self.id.startswith("FY")

    @property
    def months(self) -> int:
        """The period's length in months: 12 for a year, 6 for ``2025H1``, 9 for ``2024-9M``."""
        match = _PERIOD_RE.match(self.id)
        assert match
        return 12 if match["fy"] else _part(match)[1]

    def end_date(self, fiscal_year_end_month: int = 12) -> dt.date:
        """Last day of the period, for a fiscal year ending in ``fiscal_year_end_month``."""
        match = _PERIOD_RE.match(self.id)
        assert match
        year = int(match["fy"] or match["y"])
        offset = 0 if match["fy"] else _part(match)[0] - 12
        month = fiscal_year_end_month + offset
        while month <= 0:
            month += 12
            year -= 1
        import calendar

        return dt.date(year, month, calendar.monthrange(year, month)[1])


# --------------------------------------------------------------------------- governance

GovernanceType = Literal[
    "criminal_conviction",
    "criminal_investigation",
    "securities_regulator_penalty",
    "exchange_censure",
    "sector_regulator_penalty",
    "warning_letter",
    "regulatory_inquiry",
    "regulatory_review",
]
_NOT_PENALTIES = ("regulatory_inquiry", "regulatory_review")
Subject = Literal["company", "founder", "controller", "director", "subsidiary"]


class Person(Strict):
    """Someone whose conduct or stake matters to governance: founder, controller, director."""

    id: Slug
    kind: Literal["person", "company"] = Field(default="person", description="A company can be a controlling or significant holder too.")
    name: Text
    name_zh: Text | None = None
    roles: list[Literal["founder", "controller", "director", "executive", "shareholder"]] = Field(min_length=1)
    stake: PercentFigure | None = Field(default=None, description="Current shareholding.")
    controls: bool = Field(default=False, description="Holds control (votes, WVR or agreement) whatever the stake.")
    in_management: bool | None = None
    filing: Slug | None = Field(default=None, description="Id of the filing that disclosed it (for point-in-time views).")
    sources: list[SourceId] = Field(min_length=1)
    note: Text | None = None

    @field_validator("stake")
    @classmethod
    def _stake(cls, v: PercentFigure | None) -> PercentFigure | None:
        return _check_share(v, "a stake")

    @model_validator(mode="after")
    def _company_roles(self) -> Person:
        if self.kind == "company":
            wrong = [r for r in self.roles if r not in ("controller", "shareholder")]
            if wrong:
                raise PydanticCustomError("company_roles", "a company holds shares or control; it cannot be {roles}", {"roles": ", ".join(wrong)})
            if self.in_management is not None:
                raise PydanticCustomError("company_management", "`in_management` is for a person, not a company")
        return self


class GovernanceEvent(Strict):
    """A penalty, censure, warning or investigation involving the company or its people, or a
    regulatory inquiry or review that is not a penalty (status open or closed)."""

    id: Slug
    type: GovernanceType
    regulator: Text
    subjects: list[Subject] = Field(min_length=1)
    persons: list[Slug] = Field(default_factory=list, description="Ids of the people involved (see `people`).")
    date: PartialDate
    status: Literal["open", "concluded", "appealed", "closed"] = Field(
        description="Penalties: open, concluded or appealed; a regulatory inquiry or review (not a penalty): open or closed.")
    fine: MoneyFigure | None = None
    description: Text
    sources: list[SourceId] = Field(min_length=1)
    quote: Quote | None = None

    @model_validator(mode="after")
    def _status_fits_type(self) -> GovernanceEvent:
        inquiry = self.type in _NOT_PENALTIES
        if inquiry and self.status not in ("open", "closed"):
            raise PydanticCustomError("event_status", "a {type} is open or closed; got {status}", {"type": self.type, "status": self.status})
        if not inquiry and self.status == "closed":
            raise PydanticCustomError("event_status", "a penalty is open, concluded or appealed; 'closed' is for an inquiry or review")
        if inquiry and self.fine is not None:
            raise PydanticCustomError("event_fine", "a {type} is not a penalty and carries no fine", {"type": self.type})
        return self


# --------------------------------------------------------------------------- technology

class CoreTechnology(Strict):
    """A technology the business depends on, and who controls it."""

    name: Text
    control: Literal["proprietary", "third_party", "shared"]
    provider: Text | None = None
    alternatives: list[Text] = Field(default_factory=list, description="Other providers in use or under contract.")
    fallback_tested: bool | None = None
    provider_relation: Literal["parent", "strategic_shareholder", "affiliate", "unrelated"] | None = Field(
        default=None, description="How the provider relates to the company: dependence on the parent or a strategic shareholder.")
    contract_end: PartialDate | None = Field(default=None, description="When the contract for the technology ends.")
    description: Text | None = None
    filing: Slug | None = Field(default=None, description="Id of the filing that disclosed it (for point-in-time views).")
    sources: list[SourceId] = Field(min_length=1)
    quote: Quote | None = None


class Technology(Strict):
    core: list[CoreTechnology] = Field(default_factory=list)


# --------------------------------------------------------------------------- capital structure

class Instrument(Strict):
    """A redeemable or convertible instrument and what revives or triggers its redemption."""

    name: Text
    kind: Literal["redeemable_preferred", "convertible_redeemable_preferred", "convertible_note", "put_right", "other"]
    amount: MoneyFigure | None = Field(default=None, description="Omit when not disclosed: the rubric then scores from what is known.")
    holder_class: Text | None = None
    trigger: Literal["listing_failure", "deadline", "other"]
    trigger_date: PartialDate | None = None
    converts_at_listing: bool
    description: Text | None = None
    sources: list[SourceId] = Field(default_factory=list)
    quote: Quote | None = None


class CapitalStructure(Strict):
    """Balance-sheet facts at ``period`` (a period id), notably the redeemable instruments."""

    period: str | None = Field(default=None, description="Id of the period whose end the figures describe.")
    instruments: list[Instrument] | None = Field(
        default=None, description="Omit when not researched; an empty list means none outstanding."
    )
    total_liabilities: MoneyFigure | None = None
    net_liabilities: MoneyFigure | None = Field(default=None, description="Liabilities in excess of assets (negative: net assets).")
    net_current_liabilities: MoneyFigure | None = Field(default=None, description="Current liabilities in excess of current assets (negative: net current assets).")
    total_assets: MoneyFigure | None = None
    liabilities_to_assets: PercentFigure | None = Field(default=None, description="Total liabilities / total assets, as stated (资产负债率).")
    cash: MoneyFigure | None = Field(default=None, description="Cash and short-term investments.")
    note: Text | None = None

    @field_validator("total_assets", "total_liabilities", "cash")
    @classmethod
    def _positive(cls, figure: MoneyFigure | None, info: Any) -> MoneyFigure | None:
        for obs in figure or []:
            if obs.amount < 0:
                raise PydanticCustomError("negative_amount", "{what} is written as a positive amount; got {amount}",
                                          {"what": info.field_name, "amount": obs.amount})
        return figure

    @field_validator("liabilities_to_assets")
    @classmethod
    def _ratio(cls, figure: PercentFigure | None) -> PercentFigure | None:
        for obs in figure or []:
            if obs.value < 0:
                raise PydanticCustomError("ratio_range", "a liabilities-to-assets ratio cannot be negative; got {value}%", {"value": obs.value})
        return figure


# --------------------------------------------------------------------------- listing process

MilestoneKind = Literal["hearing_passed", "phip_published", "sponsor_appointed", "sponsor_resigned", "amendment",
                        "listed", "lapsed", "withdrawn", "rejected"]
_TERMINAL = ("listed", "lapsed", "withdrawn", "rejected")


class Milestone(Strict):
    """A step in a filing's listing process: hearing passed, post-hearing information pack (PHIP)
    published, a sponsor or overall coordinator appointed or resigned, an amendment, the end."""

    filing: Slug
    kind: MilestoneKind
    date: PartialDate
    party: Text | None = Field(default=None, description="The sponsor or coordinator, for sponsor_appointed / sponsor_resigned.")
    source: SourceId
    quote: Quote | None = None
    unverified: bool = False
    note: Text | None = None


class CapitalEvent(Strict):
    """A distribution or capital transaction: a dividend (paid while loss-making is a governance
    finding), a buyback, a capital injection."""

    kind: Literal["dividend", "special_distribution", "share_buyback", "capital_injection", "other"]
    date: PartialDate | None = Field(default=None, description="When it happened; omit when the source does not say.")
    period: str | None = Field(default=None, description="Id of the period it was paid in or for.")
    amount: MoneyFigure | None = None
    while_loss_making: bool | None = Field(default=None, description="As the source states it; else derived from the period's result.")
    description: Text | None = None
    source: SourceId
    filing: Slug | None = None
    quote: Quote | None = None
    unverified: bool = False
    note: Text | None = None


# --------------------------------------------------------------------------- listing outcome

class ListingOutcome(Strict):
    """What became of the company's listing attempt. Recorded for peers and calibration only:
    no rubric and no part of the engine reads it, so an outcome never feeds its own score."""

    status: Literal["listed", "lapsed", "withdrawn", "rejected", "pending"]
    date: PartialDate | None = None
    exchange: Text | None = None
    offer_price: Text | None = Field(default=None, description="As the source gives it, e.g. 'HK$54.80'.")
    first_day_change: Percent | None = Field(default=None, description="First-day move of the share price, e.g. '-16.07%'.")
    sources: list[SourceId] = Field(min_length=1)
    quote: Quote | None = None
    note: Text | None = None


# --------------------------------------------------------------------------- cumulative claims

class CumulativeFigure(Strict):
    """A source's claim about a total over several periods ("cumulative adjusted losses since 2018").

    Checked against the sum of the periods it covers by the data-quality checks.
    """

    figure: Literal["revenue", "gross_profit", "net_profit", "adjusted_net_profit", "operating_cash_flow", "rnd_expense"]
    start: Annotated[str, Field(alias="from", pattern=_PERIOD_RE.pattern)]
    end: Annotated[str, Field(alias="to", pattern=_PERIOD_RE.pattern)]
    value: MoneyFigure
    note: Text | None = None

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, serialize_by_alias=True)

    @model_validator(mode="after")
    def _ordered(self) -> CumulativeFigure:
        start, end = Period(id=self.start), Period(id=self.end)
        if start.end_date() - dt.timedelta(days=31 * start.months - 1) > end.end_date():
            raise PydanticCustomError("cumulative_order", "'from' ({start}) comes after 'to' ({end})", {"start": self.start, "end": self.end})
        return self


# --------------------------------------------------------------------------- reviewed data-quality findings

QUALITY_CHECKS = ("segments", "growth", "cumulative", "stated_margin", "stated_share", "concept", "restatement", "disagreement",
                  "superseded", "stale_review")
"""The data-quality checks (:mod:`riskscore.profile.quality`), in the order findings are listed."""


class ReviewedFinding(Strict):
    """A data-quality warning the profile's author has looked into and keeps, with why.

    The sources really disagree (the engine shows both figures and which it uses), so the
    warning stays in the memo, marked reviewed with this note; ``validate --strict`` no longer
    fails on it. A review that matches no warning any more is itself a warning, so reviews
    never go stale silently.
    """

    check: Literal["segments", "growth", "cumulative", "stated_margin", "stated_share", "concept", "restatement", "disagreement",
                   "superseded"] = Field(description="The check that raised the warning, as `validate --strict` names it.")
    field: Annotated[str, Field(min_length=1, max_length=300, description="The finding's field, as `validate --strict` prints it.")]
    note: Text = Field(description="What the author found and why the profile keeps the figures as they are.")


# --------------------------------------------------------------------------- the profile

class Profile(Strict):
    """A company profile: sourced facts about one IPO candidate, as of ``as_of``.

    What a rubric's ``score`` receives; treat it as read-only. See README "Writing a
    profile" for the conventions. Periods are read oldest first with
    :meth:`periods_by_end`; lists that were not researched are None, not empty.
    """

    schema_version: Literal[1] = SCHEMA_VERSION
    point_in_time: bool = Field(
        default=False,
        description="Set by riskscore on a view of the profile as known at as_of (see riskscore.profile.pointintime); "
        "its sources may postdate as_of because they report what a filing disclosed.",
    )
    id: Slug
    company: Identity
    as_of: dt.date = Field(description="The date the profile describes; nothing in it may be dated later.")
    presentation_unit: Unit = Field(description="Unit the memo shows amounts in, e.g. 'RMB 亿'.")
    fiscal_year_end_month: Annotated[int, Field(ge=1, le=12)] = 12
    filings: list[Filing] = Field(default_factory=list)
    periods: list[Period] = Field(default_factory=list)
    people: list[Person] = Field(default_factory=list)
    governance_events: list[GovernanceEvent] | None = Field(
        default=None, description="Omit when not researched; an empty list means searched and none found."
    )
    technology: Technology | None = None
    capital_structure: CapitalStructure | None = None
    cumulative: list[CumulativeFigure] = Field(default_factory=list, description="Sources' claims about totals over several periods.")
    milestones: list[Milestone] = Field(default_factory=list, description="Listing-process steps of the filings, each cited.")
    reviewed_findings: list[ReviewedFinding] = Field(
        default_factory=list, description="Data-quality warnings the author has reviewed and keeps, each with a note (validate --strict passes them).")
    capital_events: list[CapitalEvent] = Field(default_factory=list, description="Dividends, buybacks and capital injections.")
    outcome: ListingOutcome | None = Field(default=None, description="The listing's outcome; never used for scoring.")
    tags: list[Slug] = Field(default_factory=list, description="Labels for peer sets, e.g. health-tech (select with --peers tag:health-tech).")

    _periods_by_end: list[Period] | None = PrivateAttr(default=None)
    sources: list[Source] = Field(min_length=1)
    notes: list[Text] = Field(default_factory=list)

    @model_validator(mode="after")
    def _cross_references(self) -> Profile:
        errors = list(self._reference_errors())
        if errors:
            raise ValidationError.from_exception_data(
                "Profile",
                [InitErrorDetails(type=PydanticCustomError("reference", msg), loc=loc, input=value) for loc, msg, value in errors],
            )
        return self

    def _reference_errors(self) -> Iterator[tuple[tuple, str, Any]]:
        as_of = self.as_of
        source_ids: set[str] = set()
        for i, src in enumerate(self.sources):
            if src.id in source_ids:
                yield ("sources", i, "id"), f"duplicate source id {src.id!r}", src.id
            source_ids.add(src.id)
            if src.date.start > as_of and not self.point_in_time:
                yield ("sources", i, "date"), f"dated {src.date} which is after as_of {as_of}", str(src.date)
        filing_ids = {f.id for f in self.filings}
        person_ids = {p.id for p in self.people}

        def unknown_source(sid: str, loc: tuple) -> tuple[tuple, str, Any]:
            return loc, f"unknown source id {sid!r}; declared sources: {', '.join(sorted(source_ids))}", sid

        def unknown(ids: list[str], loc: tuple) -> Iterator[tuple[tuple, str, Any]]:
            for j, sid in enumerate(ids):
                if sid not in source_ids:
                    yield unknown_source(sid, loc + (j,))

        for loc, figure in self.iter_figures():
            observations = figure.root
            for j, obs in enumerate(observations):
                if obs.source not in source_ids:
                    yield unknown_source(obs.source, loc + (j, "source"))
                if obs.filing is not None and obs.filing not in filing_ids:
                    yield loc + (j, "filing"), f"unknown filing id {obs.filing!r}", obs.filing
            if len(observations) > 1 or observations[0].superseded_by is not None:  # else nothing to check
                yield from _supersession_errors(loc, list(observations))
        seen: dict[str, dict[str, int]] = {"filings": {}, "periods": {}, "people": {}, "governance_events": {}}
        groups: tuple[tuple[str, Sequence[Filing | Period | Person | GovernanceEvent]], ...] = (
            ("filings", self.filings), ("periods", self.periods), ("people", self.people), ("governance_events", self.governance_events or []))
        for name, items in groups:
            for i, item in enumerate(items):
                if item.id in seen[name]:
                    yield (name, i, "id"), f"duplicate id {item.id!r} (also at {name}[{seen[name][item.id]}])", item.id
                seen[name][item.id] = i
        by_id = {f.id: f for f in self.filings}
        for i, filing in enumerate(self.filings):
            yield from unknown(filing.sources, ("filings", i, "sources"))
            for key in ("date", "listing_date"):
                when = getattr(filing, key)
                if when is not None and when.start > as_of:
                    yield ("filings", i, key), f"dated {when} which is after as_of {as_of}", str(when)
            if filing.amends is not None:
                target = by_id.get(filing.amends)
                if target is None or target is filing:
                    why = "a filing cannot amend itself" if target is filing else f"unknown filing id {filing.amends!r}"
                    yield ("filings", i, "amends"), why, filing.amends
                else:
                    seen_chain = {filing.id}
                    cursor: Filing | None = target
                    while cursor is not None and cursor.amends is not None and cursor.id not in seen_chain:
                        seen_chain.add(cursor.id)
                        cursor = by_id.get(cursor.amends)
                    if cursor is not None and cursor.id in seen_chain:
                        yield ("filings", i, "amends"), f"amendments form a cycle through {filing.amends!r}", filing.amends
                    elif target.known_date.start > filing.known_date.end:
                        yield ("filings", i, "amends"), f"amends {target.id!r}, which is dated later ({target.known_date})", filing.amends
        for i, period in enumerate(self.periods):
            end = period.end_date(self.fiscal_year_end_month)
            if end > as_of:
                yield ("periods", i, "id"), f"period {period.id} ends {end}, after as_of {as_of}", period.id
            if period.customers is not None:
                yield from unknown(period.customers.sources, ("periods", i, "customers", "sources"))
        for i, person in enumerate(self.people):
            yield from unknown(person.sources, ("people", i, "sources"))
            if person.filing is not None and person.filing not in filing_ids:
                yield ("people", i, "filing"), f"unknown filing id {person.filing!r}", person.filing
        for i, event in enumerate(self.governance_events or []):
            yield from unknown(event.sources, ("governance_events", i, "sources"))
            if event.date.start > as_of:
                yield ("governance_events", i, "date"), f"dated {event.date} which is after as_of {as_of}", str(event.date)
            for j, pid in enumerate(event.persons):
                if pid not in person_ids:
                    yield ("governance_events", i, "persons", j), f"unknown person id {pid!r}; declare them under `people`", pid
        if self.technology:
            for i, tech in enumerate(self.technology.core):
                yield from unknown(tech.sources, ("technology", "core", i, "sources"))
                if tech.filing is not None and tech.filing not in filing_ids:
                    yield ("technology", "core", i, "filing"), f"unknown filing id {tech.filing!r}", tech.filing
        if self.capital_structure:
            cs = self.capital_structure
            period_ids = {p.id for p in self.periods}
            if cs.period is not None and cs.period not in period_ids:
                yield ("capital_structure", "period"), f"unknown period id {cs.period!r}", cs.period
            for i, inst in enumerate(cs.instruments or []):
                yield from unknown(inst.sources, ("capital_structure", "instruments", i, "sources"))
                if inst.quote is not None and not inst.sources:
                    yield ("capital_structure", "instruments", i, "quote"), "a quote needs the source it is from: list it under `sources`", None
                if inst.trigger == "deadline" and inst.trigger_date is None:
                    yield ("capital_structure", "instruments", i, "trigger_date"), "a deadline trigger needs trigger_date", None
        for loc, statement in self.iter_statements():
            if statement.source not in source_ids:
                yield unknown_source(statement.source, loc + ("source",))
            if statement.filing is not None and statement.filing not in filing_ids:
                yield loc + ("filing",), f"unknown filing id {statement.filing!r}", statement.filing
        for i, period in enumerate(self.periods):
            yield from period_value_errors(i, period)
        period_ids_all = {p.id for p in self.periods}
        for i, m in enumerate(self.milestones):
            loc = ("milestones", i)
            if m.source not in source_ids:
                yield unknown_source(m.source, loc + ("source",))
            if m.date.start > as_of:
                yield loc + ("date",), f"dated {m.date} which is after as_of {as_of}", str(m.date)
            m_filing = by_id.get(m.filing)
            if m_filing is None:
                yield loc + ("filing",), f"unknown filing id {m.filing!r}", m.filing
                continue
            if m.kind != "sponsor_appointed" and m.date.end < m_filing.known_date.start:
                yield loc + ("date",), f"{m.kind.replace('_', ' ')} on {m.date}, before the filing ({m_filing.known_date})", str(m.date)
            if m.kind in _TERMINAL and m_filing.status != m.kind:
                yield loc + ("kind",), f"the milestone says {m.kind} but filing {m_filing.id!r} has status {m_filing.status}", m.kind
        for i, cap in enumerate(self.capital_events):
            loc = ("capital_events", i)
            if cap.source not in source_ids:
                yield unknown_source(cap.source, loc + ("source",))
            if cap.filing is not None and cap.filing not in filing_ids:
                yield loc + ("filing",), f"unknown filing id {cap.filing!r}", cap.filing
            if cap.period is not None and cap.period not in period_ids_all:
                yield loc + ("period",), f"unknown period id {cap.period!r}", cap.period
            if cap.date is not None and cap.date.start > as_of:
                yield loc + ("date",), f"dated {cap.date} which is after as_of {as_of}", str(cap.date)
        yield from unknown(self.company.sources, ("company", "sources"))
        if self.outcome is not None:
            yield from unknown(self.outcome.sources, ("outcome", "sources"))
            if self.outcome.date is not None and self.outcome.date.start > as_of:
                yield ("outcome", "date"), f"dated {self.outcome.date} which is after as_of {as_of}", str(self.outcome.date)

    # ------------------------------------------------------------------ navigation

    def iter_figures(self) -> Iterator[tuple[tuple, MoneyFigure | PercentFigure]]:
        """Every figure in the profile with its location, in document order."""
        found: list[tuple[tuple, MoneyFigure | PercentFigure]] = []
        _collect_figures(self, (), found)
        return iter(found)

    def iter_statements(self) -> Iterator[tuple[tuple, Statement]]:
        """Every fact stated in words (loss-making, concentration), with its location."""
        for i, period in enumerate(self.periods):
            if period.loss_making is not None:
                yield ("periods", i, "loss_making"), period.loss_making
            if period.customers is not None and period.customers.concentration is not None:
                yield ("periods", i, "customers", "concentration"), period.customers.concentration

    def describe_loc(self, loc: tuple) -> str:
        """``('periods', 3, 'revenue')`` -> ``periods[FY2022].revenue``: list items named by their id."""
        return describe_loc(self, loc)

    def source(self, source_id: str) -> Source:
        """The source with id ``source_id`` (KeyError when there is none)."""
        for src in self.sources:
            if src.id == source_id:
                return src
        raise KeyError(source_id)

    def filing(self, filing_id: str) -> Filing:
        """The filing with id ``filing_id`` (KeyError when there is none)."""
        for f in self.filings:
            if f.id == filing_id:
                return f
        raise KeyError(filing_id)

    def person(self, person_id: str) -> Person:
        """The person with id ``person_id`` (KeyError when there is none)."""
        for p in self.people:
            if p.id == person_id:
                return p
        raise KeyError(person_id)

    def period(self, period_id: str) -> Period:
        """The period with id ``period_id``, e.g. ``'FY2024'`` (KeyError when there is none)."""
        for p in self.periods:
            if p.id == period_id:
                return p
        raise KeyError(period_id)

    def periods_by_end(self) -> list[Period]:
        """Periods oldest first; for one end date, the longer period first (computed once)."""
        if self._periods_by_end is None:
            self._periods_by_end = sorted(self.periods, key=lambda p: (p.end_date(self.fiscal_year_end_month), -p.months))
        return list(self._periods_by_end)

    def annual_periods(self) -> list[Period]:
        """The fiscal years, oldest first."""
        return [p for p in self.periods_by_end() if p.is_annual]


def period_value_errors(i: int, period: Period) -> Iterator[tuple[tuple, str, Any]]:
    """The profile's cross-checks that read a figure's value (all the others read ids, dates and
    links): what-if's shortcut (riskscore.analysis.whatif.apply_figure) runs only these after
    changing a figure of a period, so a new check on figure values belongs here."""
    profits = [o for f in (period.net_profit, period.adjusted_net_profit) for o in (f or [])]
    if period.loss_making is not None and profits and all(o.amount >= 0 for o in profits):
        yield ("periods", i, "loss_making"), "a source calls the period loss-making, but every profit on file is positive", None


def _supersession_errors(loc: tuple, observations: list[Any]) -> Iterator[tuple[tuple, str, Any]]:
    """``superseded_by`` must name another observation of the figure; one source and filing may not
    give two disagreeing values unless one supersedes the other (file order never decides)."""
    from riskscore.profile.evidence import agree, replaces

    for j, obs in enumerate(observations):
        if obs.superseded_by is not None and not any(replaces(obs, other) for other in observations):
            yield (loc + (j, "superseded_by"), f"no other observation of this figure comes from {obs.superseded_by!r} "
                   "(superseded_by names the source or filing of the observation that replaces this one)", obs.superseded_by)
    for j, a in enumerate(observations):
        for k in range(j + 1, len(observations)):
            b = observations[k]
            if (a.source, a.filing) == (b.source, b.filing) and not agree(a, b) and not (replaces(a, b) or replaces(b, a)):
                where = a.source + (f", filing {a.filing}" if a.filing else "")
                yield (loc + (k,), f"two observations from the same source and filing ({where}) disagree: "
                       f"{getattr(a, a.value_key):g} and {getattr(b, b.value_key):g}; "
                       "mark the wrong one `superseded_by`, or drop it", b.source)

_CONTAINER_FIELDS: dict[type, tuple[str, ...]] = {}


def _container_fields(cls: type[BaseModel]) -> tuple[str, ...]:
    """Fields of ``cls`` whose annotation can hold a model (a figure, a period …), cached per class."""
    fields = _CONTAINER_FIELDS.get(cls)
    if fields is None:
        fields = tuple(name for name, info in cls.model_fields.items() if _holds_model(info.annotation))
        _CONTAINER_FIELDS[cls] = fields
    return fields


def _holds_model(annotation: Any) -> bool:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return True
    return any(_holds_model(arg) for arg in get_args(annotation))


def _collect_figures(node: Any, loc: tuple, found: list[tuple[tuple, Any]]) -> None:
    """Append the figures in ``node`` to ``found`` with their locations, in document order."""
    if isinstance(node, (MoneyFigure, PercentFigure)):
        found.append((loc, node))
    elif isinstance(node, BaseModel):
        for name in _container_fields(type(node)):
            value = getattr(node, name)
            if value is not None:
                _collect_figures(value, loc + (name,), found)
    elif isinstance(node, list):
        for i, item in enumerate(node):
            if isinstance(item, BaseModel):
                _collect_figures(item, loc + (i,), found)


def describe_loc(data: Any, loc: tuple) -> str:
    """A location as a reader names it: list items by their ``id`` (or ``name``) where they have one.

    Works on a validated model or on the raw mapping loaded from YAML, so validation errors
    read ``periods[FY2022].revenue[0].amount`` rather than ``periods.3.revenue.0.amount``.
    """
    from riskscore.profile import paths

    parts: list[paths.Part] = []
    node = data
    for part in loc:
        if isinstance(node, _Figure):
            node = node.root
        if isinstance(part, int):
            item = node[part] if isinstance(node, list) and 0 <= part < len(node) else None
            ident = _ident(item)
            parts.append(paths.Item(ident if ident is not None else str(part)))
            node = item
        else:
            parts.append(str(part))
            node = node.get(part) if isinstance(node, dict) else getattr(node, str(part), None)
    return paths.join(parts)


def _ident(item: Any) -> str | None:
    for key in ("id", "name"):
        value = item.get(key) if isinstance(item, dict) else getattr(item, key, None)
        if isinstance(value, (str, int)) and not isinstance(value, bool):
            return str(value)
    return None
