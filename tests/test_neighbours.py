"""riskscore/analysis/neighbours.py gives the same numbers as scikit-learn, which it replaces for precedents."""

from __future__ import annotations

import numpy as np
import pytest

from riskscore.analysis.neighbours import nan_euclidean, standardise

sklearn_preprocessing = pytest.importorskip("sklearn.preprocessing")
sklearn_pairwise = pytest.importorskip("sklearn.metrics.pairwise")

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
