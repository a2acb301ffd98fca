"""riskscore: scores the listing risk of IPO candidates from sourced company profiles.

The Python API is :mod:`riskscore.api` (load, score, render, batch); importing this
package imports nothing heavy.
"""

__version__ = "0.1.0"
