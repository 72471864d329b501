"""Grading helpers for instructors: running each student's notebook where it cannot cheat.

Modules: ``sandbox`` (run one command in a bubblewrap sandbox with capped resources),
``collect`` (an LMS download into nbgrader's ``submitted/``), ``repair`` (damaged notebooks).
Submodules are imported explicitly (``from cnnlab.grading import sandbox``); this file imports
nothing so that ``import cnnlab.grading.x`` stays cheap.
"""
