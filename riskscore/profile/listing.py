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
        """``hearing passed (2026-01); PHIP published 2026-02; sponsor appointed: X (2026-01)``."""
        parts = []
        for m in self.milestones:
            text = f"{_LABELS.get(m.kind, m.kind.replace('_', ' '))}{': ' + m.party if m.party else ''} {m.date}"
            parts.append(text + (" (unverified)" if m.unverified else ""))
        head = _LABELS[self.kind] if self.kind in _LABELS else self.kind
        if self.kind in _ORDER and all(m.unverified for m in self.milestones if m.kind == self.kind):
            head += " (unverified)"   # every report of the stage reached is doubtful
        return head + (f" — {'; '.join(parts)}" if parts else "")


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
