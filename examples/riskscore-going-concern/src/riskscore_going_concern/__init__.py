"""riskscore-going-concern: a riskscore rubric plugin scoring ISA 570 going-concern indicators.

riskscore finds the rubric through the entry point this package declares in the
``riskscore.rubrics`` group (see ``pyproject.toml``)::

    [project.entry-points."riskscore.rubrics"]
    going_concern = "riskscore_going_concern:GoingConcern"
"""

from riskscore_going_concern.rubric import GoingConcern

__all__ = ["GoingConcern"]
