"""Analysis built on assessments: trend across filings, what-if and sensitivity, peers, calibration.

Each module runs the engine; none is on the plain ``score`` path, and the heavy libraries
(pandas, scikit-learn) are imported only inside the functions that need them.
"""
