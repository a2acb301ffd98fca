"""riskscore/analysis/neighbours.py gives the same numbers as scikit-learn, which it replaces for precedents."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from riskscore.analysis.neighbours import nan_euclidean, standardise

sklearn_preprocessing = pytest.importorskip("sklearn.preprocessing")
sklearn_pairwise = pytest.importorskip("sklearn.metrics.pairwise")

COMPANIES = Path(__file__).resolve().parents[1] / "companies"
NAN = np.nan
CASES = {
    "complete": [[100, 50, 0], [80, 40, 10], [20, 90, 30], [55, 55, 55]],
    "missing cells": [[100, NAN, 0, 70], [NAN, 40, 10, NAN], [20, 90, NAN, 30], [55, 55, 55, NAN], [0, NAN, NAN, 100]],
    "constant column": [[50, 10], [50, 30], [50, 90]],
    "single value in a column": [[1, NAN], [2, 7], [3, NAN]],
    "all missing column": [[1, NAN, 5], [2, NAN, 6], [4, NAN, 9]],
    "two rows": [[0, 100], [100, 0]],
}


@pytest.mark.parametrize("rows", CASES.values(), ids=CASES.keys())
def test_standardise_matches_standard_scaler(rows: list[list[float]]) -> None:
    matrix = np.array(rows, dtype=float)
    usable = ~np.all(np.isnan(matrix), axis=0)  # callers drop all-missing columns, as precedents() does
    expected = sklearn_preprocessing.StandardScaler().fit_transform(matrix[:, usable])
    np.testing.assert_allclose(standardise(matrix[:, usable]), expected, rtol=1e-12, atol=1e-12, equal_nan=True)


@pytest.mark.parametrize("rows", CASES.values(), ids=CASES.keys())
def test_nan_euclidean_matches_scikit_learn(rows: list[list[float]]) -> None:
    matrix = np.array(rows, dtype=float)
    usable = ~np.all(np.isnan(matrix), axis=0)
    scaled = standardise(matrix[:, usable])
    expected = sklearn_pairwise.nan_euclidean_distances(scaled[:1], scaled[1:])[0]
    np.testing.assert_allclose(nan_euclidean(scaled[0], scaled[1:]), expected, rtol=1e-12, atol=1e-12, equal_nan=True)


def test_randomised_matrices_agree_with_scikit_learn() -> None:
    rng = np.random.default_rng(20261202)
    for _ in range(200):
        matrix = rng.uniform(0, 100, size=(int(rng.integers(2, 30)), 6)).round(1)
        matrix[rng.random(matrix.shape) < 0.3] = np.nan
        usable = ~np.all(np.isnan(matrix), axis=0)
        scaled = standardise(matrix[:, usable])
        np.testing.assert_allclose(scaled, sklearn_preprocessing.StandardScaler().fit_transform(matrix[:, usable]), atol=1e-9, equal_nan=True)
        np.testing.assert_allclose(
            nan_euclidean(scaled[0], scaled[1:]), sklearn_pairwise.nan_euclidean_distances(scaled[:1], scaled[1:])[0], atol=1e-9, equal_nan=True
        )


def test_a_row_sharing_no_coordinate_is_at_distance_nan() -> None:
    assert np.isnan(nan_euclidean(np.array([1.0, NAN]), np.array([[NAN, 2.0]])))[0]


# ------------------------------------------------- precedents: numpy against scikit-learn


def _precedents_with_scikit_learn(assessment: Any, peers: list[Any], k: int, min_common: int) -> list[Any]:
    """``peers.precedents`` as it was written with scikit-learn (StandardScaler + NearestNeighbors)."""
    from sklearn.neighbors import NearestNeighbors
    from sklearn.preprocessing import StandardScaler

    from riskscore.analysis.peers import Precedent

    ids = [o.id for o in assessment.rubrics]

    def vector(a: Any) -> list[float]:
        scored = {o.id: o.score for o in a.rubrics if o.status == "scored"}
        return [scored.get(i, np.nan) for i in ids]

    matrix = np.array([vector(assessment)] + [vector(p.assessment) for p in peers], dtype=float)
    usable = ~np.all(np.isnan(matrix), axis=0)
    if not usable.any() or len(peers) == 0:
        return []
    scaled = StandardScaler().fit_transform(matrix[:, usable])
    company, others = scaled[:1], scaled[1:]
    common = np.sum(~np.isnan(others) & ~np.isnan(company), axis=1)
    eligible = np.flatnonzero(common >= min_common)
    if eligible.size == 0:
        return []
    index = NearestNeighbors(n_neighbors=int(eligible.size), metric="nan_euclidean").fit(others[eligible])
    distances, found = index.kneighbors(company)
    out = []
    for distance, position in zip(distances[0], found[0], strict=True):
        peer = peers[int(eligible[position])]
        scores = {o.id: (o.score if o.status == "scored" else None) for o in peer.assessment.rubrics}
        mine = {o.id for o in assessment.rubrics if o.status == "scored"}
        compared = tuple(i for i in ids if i in mine and scores.get(i) is not None)
        out.append(Precedent(peer.profile.id, peer.profile.company.name, round(float(distance), 3), int(common[eligible[position]]),
                             peer.assessment.adjusted_score, peer.assessment.adjusted_band, scores, peer.outcome_text, compared,
                             getattr(peer.assessment, "confidence", "")))
    return sorted(out, key=lambda p: (p.distance, p.id))[:k]


@pytest.fixture(scope="module")
def committed_assessments() -> dict[str, tuple[Path, Any]]:
    from riskscore.analysis.peers import Peer
    from riskscore.profile.load import load_profile
    from riskscore.scoring import registry
    from riskscore.scoring.config import load_config
    from riskscore.scoring.engine import assess

    config = load_config(None)
    rubrics = registry.select(config)
    out = {}
    for path in sorted(COMPANIES.glob("*.yaml")):
        profile = load_profile(path)
        out[profile.id] = Peer(str(path), profile, assess(profile, config, rubrics))
    return out


@pytest.mark.parametrize("min_common", [1, 2, 3, 6])
def test_precedents_match_scikit_learn_on_the_committed_companies(committed_assessments: dict[str, Any], min_common: int) -> None:
    """Each committed company against all the others: the same precedents, distances, order and counts."""
    from riskscore.analysis.peers import precedents

    assert len(committed_assessments) >= 7
    compared = 0
    for company_id, company in committed_assessments.items():
        others = [p for pid, p in committed_assessments.items() if pid != company_id]
        for k in (1, 3, len(others)):
            ours = precedents(company.assessment, others, k=k, min_common=min_common)
            theirs = _precedents_with_scikit_learn(company.assessment, others, k=k, min_common=min_common)
            assert ours == theirs, company_id
            compared += len(ours)
    if min_common <= 3:
        assert compared > 0  # the comparison is not vacuous
