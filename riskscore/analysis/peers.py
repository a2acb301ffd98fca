"""Peers and precedents: where a company's scores sit among comparable companies, and which
past candidates it most resembles.

* **Peer set** — ``--peers`` names ids (``jd-health,zhiyun-health``, resolved next to the
  company's profile), a directory (every profile in it but the company's own), or
  ``tag:NAME`` (profiles next to the company's carrying that tag).
* **Percentile ranks** — for each rubric score and key metric, the share of peers below
  the company (ties count half), with the number of peers that have the figure; below
  ``memo.percentile_min_peers`` (5) peers with the figure, their values instead. When no
  peer has a score for the company's heaviest rubrics, the memo says so first.
* **Closest precedents** — nearest neighbours over the rubric scores,
  standardised across the company and its peers. A rubric a company was not scored on is
  missing, not zero: distances use the rubrics both sides have (``nan_euclidean``, scaled
  up for the rubrics left out), and a peer sharing fewer than ``min_common`` rubrics with
  the company (``memo.precedent_min_rubrics``, 3) is not a precedent; each precedent names
  the rubrics compared, and with none qualifying the memo says why. Each precedent shows what became of its listing, which
  the engine never uses for scoring.

Precedents need numpy only (riskscore.analysis.neighbours, tested against scikit-learn);
scikit-learn is left to ``calibrate``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from riskscore.errors import InputError, Problem
from riskscore.report import format as fmt

KEY_METRICS: tuple[tuple[str, str, str], ...] = (
    ("customer_concentration", "largest_customer_share", "Largest customer share"),
    ("margin", "gross_margin", "Consolidated gross margin"),
    ("margin", "core_segment_gross_margin", "Core segment gross margin"),
    ("losses", "adjusted_net_margin", "Net margin"),
    ("technology_dependence", "rnd_intensity", "R&D intensity"),
    ("redemption_overhang", "claim_ratio_listing_fails", "Redemption claim ratio (listing fails)"),
)


@dataclass(frozen=True)
class Peer:
    path: str
    profile: Any
    assessment: Any

    @property
    def outcome_text(self) -> str:
        outcome = self.profile.outcome
        if outcome is None:
            return "not recorded"
        parts = [outcome.status + (f" {outcome.date}" if outcome.date else "")]
        if outcome.offer_price:
            parts.append(f"at {outcome.offer_price}")
        if outcome.first_day_change is not None:
            parts.append(f"{fmt.percent(outcome.first_day_change, 2, sign=True)} on day 1")
        return " ".join(parts)


@dataclass(frozen=True)
class Rank:
    label: str
    value: str                 # the company's figure as documents show it
    percentile: float | None   # share of peers below the company, 0-100
    peers_with_data: int
    peer_values: tuple[float, ...]
    company_value: float | None
    kind: str                  # "score" (0-100 risk) or "metric"
    too_few: bool = False      # fewer peers with the figure than the minimum: no percentile, their values instead
    unit: str = ""             # "%" or "×" for a metric shown with its unit

    @property
    def peer_values_text(self) -> str:
        """The peers' values, lowest first, as the memo shows them in place of a percentile."""
        def shown(v: float) -> str:
            if self.kind == "score":
                return fmt.score(v)
            return fmt.percent(v) if self.unit == "%" else fmt.ratio(v) if self.unit == "×" else fmt.plain(v)

        return ", ".join(shown(v) for v in sorted(self.peer_values)) or "none"


@dataclass(frozen=True)
class Precedent:
    id: str
    company: str
    distance: float
    common: int
    adjusted_score: float | None
    adjusted_band: str | None
    scores: dict[str, float | None]
    outcome: str
    compared: tuple[str, ...] = ()   # ids of the rubrics both were scored on
    confidence: str = ""             # the precedent's own assessment: sufficient, provisional or insufficient


def resolve(spec: str, company_path: Path, company_id: str) -> list[Path]:
    """The profile files a ``--peers`` value names (the company itself excluded)."""
    base = company_path.parent
    spec = spec.strip()
    if spec.startswith("tag:"):
        tag = spec[4:].strip()
        from riskscore.profile.load import read_yaml

        paths = []
        for path in sorted(base.glob("*.y*ml")):
            try:
                data, _ = read_yaml(path)
            except InputError:
                continue  # an unreadable file is not a peer; it is reported when named directly
            if isinstance(data, dict) and tag in (data.get("tags") or []) and data.get("id") != company_id:
                paths.append(path)
        if not paths:
            raise InputError("--peers", [Problem(spec, f"no profile in {base} carries the tag {tag!r}")])
        return paths
    candidate = Path(spec)
    if candidate.is_dir():
        paths = [p for p in sorted(candidate.glob("*.y*ml")) if p.resolve() != company_path.resolve()]
        if not paths:
            raise InputError("--peers", [Problem(spec, "the directory holds no other profile")])
        return paths
    paths = []
    for ident in (s.strip() for s in spec.split(",") if s.strip()):
        if ident == company_id:
            continue  # a company is not its own peer
        path = base / f"{ident}.yaml"
        if not path.is_file():
            raise InputError("--peers", [Problem(ident, f"no profile {path}; give ids of profiles next to {company_path.name}, a directory, or tag:NAME")])
        paths.append(path)
    if not paths:
        raise InputError("--peers", [Problem(spec, "names no peer other than the company itself")])
    return paths


def load(paths: list[Path], config: Any, rubrics: list[Any], company_id: str) -> list[Peer]:
    from riskscore.profile.load import load_profile
    from riskscore.scoring.engine import assess

    peers = []
    for path in paths:
        profile = load_profile(path, max_bytes=config.limits.max_profile_bytes)
        if profile.id != company_id:
            peers.append(Peer(str(path), profile, assess(profile, config, rubrics)))
    return peers


def _percentile(value: float, others: list[float]) -> float:
    below = sum(1 for v in others if v < value)
    ties = sum(1 for v in others if v == value)
    return round(100 * (below + 0.5 * ties) / len(others), 1)


def _metric(assessment: Any, rubric: str, metric: str) -> Any:
    outcome = next((o for o in assessment.rubrics if o.id == rubric), None)
    if outcome is None or outcome.result is None:
        return None
    return next((m for m in outcome.result.metrics if m.id == metric and m.value is not None), None)


def ranks(assessment: Any, peers: list[Peer], min_peers: int = 1) -> list[Rank]:
    """Percentile ranks of the company's rubric scores and key metrics among its peers.

    With fewer than ``min_peers`` peers holding a figure there is no percentile (a rank among
    one or two peers says little); the row keeps the peers' values instead.
    """
    rows = []
    for outcome in assessment.rubrics:
        others = [o.score for p in peers for o in p.assessment.rubrics if o.id == outcome.id and o.status == "scored" and o.score is not None]
        mine = outcome.score if outcome.status == "scored" else None
        few = len(others) < min_peers
        pct = _percentile(mine, others) if mine is not None and others and not few else None
        rows.append(Rank(outcome.title, fmt.score(mine), pct, len(others), tuple(others), mine, "score", few))
    for rubric, metric_id, label in KEY_METRICS:
        metric = _metric(assessment, rubric, metric_id)
        found = [m for p in peers if (m := _metric(p.assessment, rubric, metric_id)) is not None]
        others = [m.value for m in found]
        unit = next((m.unit for m in ([metric] if metric is not None else []) + found), "")
        if metric is None and not others:
            continue
        mine = metric.value if metric is not None else None
        shown = fmt.MISSING if metric is None else fmt.metric(metric)
        few = len(others) < min_peers
        pct = _percentile(mine, others) if mine is not None and others and not few else None
        rows.append(Rank(label, shown, pct, len(others), tuple(others), mine, "metric", few, unit if unit in ("%", "×") else ""))
    return rows


def uncovered_heaviest(assessment: Any, peers: list[Peer]) -> tuple[list[str], float, int]:
    """Titles of the company's heaviest rubrics (largest configured weight) that no peer has a score for,
    that weight's share, and how many rubrics share that weight."""
    total = sum(o.configured_weight for o in assessment.rubrics)
    heaviest = max((o.configured_weight for o in assessment.rubrics), default=0.0)
    scored_by_peers = {o.id for p in peers for o in p.assessment.rubrics if o.status == "scored"}
    titles = [o.title for o in assessment.rubrics if o.configured_weight == heaviest and o.id not in scored_by_peers]
    count = sum(1 for o in assessment.rubrics if o.configured_weight == heaviest)
    return titles, (heaviest / total if total else 0.0), count


def no_precedent_reason(assessment: Any, peers: list[Peer], min_common: int) -> str:
    """Why no peer is a precedent: the most rubrics any peer shares with the company."""
    mine = {o.id for o in assessment.rubrics if o.status == "scored"}
    if not peers:
        return "there are no peers"
    shared = [(len(mine & {o.id for o in p.assessment.rubrics if o.status == "scored"}), p.profile.company.name) for p in peers]
    most = max(n for n, _ in shared)
    who = sorted(name for n, name in shared if n == most)
    return (f"a precedent needs at least {min_common} scored rubrics in common with this company (memo.precedent_min_rubrics), "
            f"and the most any peer shares is {most} ({', '.join(who)}); this company has {len(mine)} scored")


def precedents(assessment: Any, peers: list[Peer], k: int = 3, min_common: int = 3) -> list[Precedent]:
    """The ``k`` peers closest to the company over standardised rubric scores.

    numpy only (riskscore.analysis.neighbours): the same numbers as scikit-learn's
    ``StandardScaler`` + ``nan_euclidean`` neighbours, without its two-second import.
    """
    import numpy as np

    from riskscore.analysis.neighbours import nan_euclidean, standardise

    ids = [o.id for o in assessment.rubrics]

    def vector(a: Any) -> list[float]:
        scored = {o.id: o.score for o in a.rubrics if o.status == "scored"}
        return [scored.get(i, np.nan) for i in ids]  # missing stays missing, never zero

    matrix = np.array([vector(assessment)] + [vector(p.assessment) for p in peers], dtype=float)
    usable = ~np.all(np.isnan(matrix), axis=0)
    if not usable.any() or len(peers) == 0:
        return []
    scaled = standardise(matrix[:, usable])  # NaNs are ignored in the means and spreads and kept in the output
    company, others = scaled[0], scaled[1:]
    common = np.sum(~np.isnan(others) & ~np.isnan(company), axis=1)
    eligible = np.flatnonzero(common >= min_common)
    if eligible.size == 0:
        return []
    # Rank every eligible peer, then cut: ties at the k-th place are decided by id, never by
    # the order the peers were given in.
    distances = nan_euclidean(company, others[eligible])
    mine = {o.id for o in assessment.rubrics if o.status == "scored"}
    out = []
    for distance, position in zip(distances, eligible, strict=True):
        peer = peers[int(position)]
        scores = {o.id: (o.score if o.status == "scored" else None) for o in peer.assessment.rubrics}
        compared = tuple(i for i in ids if i in mine and scores.get(i) is not None)
        out.append(Precedent(peer.profile.id, peer.profile.company.name, round(float(distance), 3), int(common[position]),
                             peer.assessment.adjusted_score, peer.assessment.adjusted_band, scores, peer.outcome_text, compared,
                             getattr(peer.assessment, "confidence", "")))
    return sorted(out, key=lambda p: (p.distance, p.id))[:k]
