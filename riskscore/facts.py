"""Moved to :mod:`riskscore.scoring.facts`; this name stays so that existing plugins keep working.

New code imports :mod:`riskscore.rubric` (everything a rubric author needs) or
:mod:`riskscore.scoring.facts`. The module object is the same, so monkeypatching either name works.
"""

import sys

from riskscore.scoring.facts import *  # noqa: F403  (the names, for type checkers and readers)

sys.modules[__name__] = sys.modules["riskscore.scoring.facts"]
