"""Nearest neighbours over rubric scores with missing values, in numpy alone.

Precedent matching needs a distance between a handful of score vectors in which some
rubrics are unscored. scikit-learn's ``StandardScaler`` + ``NearestNeighbors(metric=
"nan_euclidean")`` does this, but importing scikit-learn costs about two seconds for what
is a few array operations; these two functions reproduce its results exactly (the tests
compare them with scikit-learn) so that ``memo --peers`` stays fast. scikit-learn remains
the tool for ``calibrate``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray


def standardise(matrix: NDArray[np.float64]) -> NDArray[np.float64]:
    """Columns centred and scaled to unit variance, ignoring NaNs; NaNs stay NaN.

    As ``sklearn.preprocessing.StandardScaler``: population variance (ddof 0), and a column
    with zero variance (or a single value) is centred but not scaled.
    """
    import numpy as np

    present = ~np.isnan(matrix)
    counts = present.sum(axis=0)
    filled = np.where(present, matrix, 0.0)
    mean = np.divide(filled.sum(axis=0), counts, out=np.zeros(matrix.shape[1]), where=counts > 0)
    deviation = np.where(present, matrix - mean, 0.0)
    variance = np.divide((deviation**2).sum(axis=0), counts, out=np.zeros(matrix.shape[1]), where=counts > 0)
    scale = np.sqrt(variance)
    scale[scale < 10 * np.finfo(np.float64).eps * np.maximum(np.abs(mean), 1.0)] = 1.0
    return np.where(present, (matrix - mean) / scale, np.nan)


def nan_euclidean(point: NDArray[np.float64], rows: NDArray[np.float64]) -> NDArray[np.float64]:
    """Distance from ``point`` to each row over the coordinates both have, scaled up for the missing ones.

    As ``sklearn.metrics.pairwise.nan_euclidean_distances``:
    ``sqrt(n_coordinates / n_present * sum of squared differences over present coordinates)``;
    a row sharing no coordinate with ``point`` is at distance NaN.
    """
    import numpy as np

    both = ~np.isnan(rows) & ~np.isnan(point)
    present = both.sum(axis=1)
    squares = np.where(both, (rows - point) ** 2, 0.0).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        distance = np.sqrt(rows.shape[1] / present * squares)
    return np.where(present > 0, distance, np.nan)
