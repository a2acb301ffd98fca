"""The listing process of each filing: which stage it reached, from its cited milestones.

Stages, in order: *filed* → *hearing passed* → *PHIP published* (the post-hearing information
pack) → *listed*; or it ended *lapsed*, *withdrawn* or *rejected*. A filing's status
(``filings[].status``) and its terminal milestone agree (validated). Sponsor and overall
coordinator changes and amendments are listed beside the stage; a sponsor that resigned with
no later appointment is open.
"""

from __future__ import annotations

from dataclasses import dataclass

from riskscore.profile.model import Filing, Milestone, Profile
from riskscore.report.i18n import Message, Text, Value

_ORDER = {"hearing_passed": 1, "phip_published": 2, "listed": 3}
_LABELS = {"filed": "filed", "hearing_passed": "hearing passed", "phip_published": "PHIP published", "listed": "listed",
           "lapsed": "lapsed", "withdrawn": "withdrawn", "rejected": "rejected"}


@dataclass(frozen=True)
class Stage:
    filing: Filing
    kind: str                       # filed | hearing_passed | phip_published | listed | lapsed | withdrawn | rejected
    milestones: tuple[Milestone, ...]

    @property
    def post_hearing(self) -> bool:
        return self.kind in ("hearing_passed", "phip_published")

    @property
    def sponsor_open(self) -> bool:
        """A sponsor or coordinator resigned, and no appointment on file remains: none made after
        the last resignation, and none earlier for another party (named in ``party``) still in place."""
        remaining: set[str] = set()
        resigned = False
        for m in self.milestones:
            if m.kind == "sponsor_appointed":
                remaining.add(m.party or "")
            elif m.kind == "sponsor_resigned":
                resigned = True
                remaining.discard(m.party or "")
                if not m.party:
                    remaining.clear()
        return resigned and not remaining

    def describe(self) -> str:
        """``hearing passed (2026-01); PHIP published 2026-02; sponsor appointed: X (2026-01)``.

        A :class:`~riskscore.report.i18n.Message`: a Chinese memo writes it in Chinese (ids ``stage.*``)."""
        parts = []
        for m in self.milestones:
            label, date = _label(m.kind), Value.date(m.date)
            text = (Message("stage.milestone_party", "{label}: {party} {date}", label=label, party=Text(m.party), date=date) if m.party
                    else Message("stage.milestone", "{label} {date}", label=label, date=date))
            parts.append(Message("stage.unverified", "{text} (unverified)", text=text) if m.unverified else text)
        head: str = _label(self.kind)
        if self.kind in _ORDER and all(m.unverified for m in self.milestones if m.kind == self.kind):
            head = Message("stage.unverified", "{text} (unverified)", text=head)   # every report of the stage reached is doubtful
        return Message("stage.with_milestones", "{head} — {parts}", head=head, parts=Value.join(parts, "; ")) if parts else head


def _label(kind: str) -> Message:
    """A stage or milestone kind as a message (``stage.<kind>``)."""
    return Message(f"stage.{kind}", _LABELS.get(kind, kind.replace("_", " ")))


def stage(profile: Profile, filing: Filing) -> Stage:
    """The furthest stage ``filing`` reached, from its status and milestones."""
    own = tuple(sorted((m for m in profile.milestones if m.filing == filing.id), key=lambda m: (m.date.start, m.date.end, m.kind)))
    if filing.status != "filed":
        return Stage(filing, filing.status, own)
    reached = max((m.kind for m in own if m.kind in _ORDER and m.kind != "listed"), key=_ORDER.__getitem__, default="filed")
    return Stage(filing, reached, own)


def latest_stage(profile: Profile) -> Stage | None:
    """The stage of the most recent filing (None without filings)."""
    if not profile.filings:
        return None
    latest = max(profile.filings, key=lambda f: (f.known_date.end, f.id))
    return stage(profile, latest)
