"""nbgrader settings for the cnnlab course: run the stock nbgrader commands from this folder.

    nbgrader generate_assignment 01_convolution --force   # solutions/ -> assignments/
    nbgrader autograde 01_convolution                     # submitted/<student>/01_convolution/
    nbgrader generate_feedback 01_convolution
    nbgrader export

Autograding is sandboxed and judged outside the student's process (cnnlab.grading.
nbgrader_preprocessors): each notebook runs in a bubblewrap sandbox, and the points come from
the check results judged here. Where no sandbox can be made, autograde stops and says what is
missing; ``--SandboxedExecute.unsafe_no_sandbox=True --JudgeOutside.unsafe_no_sandbox=True``
grades without one (grading/judge/*/*.json then say "sandboxed": false).
"""

from nbconvert.preprocessors import ClearMetadataPreprocessor
from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, ClearOutput, DeduplicateIds, IgnorePattern,
                                   LimitOutput, OverwriteCells, OverwriteKernelspec, SaveAutoGrades)

from cnnlab.grading.nbgrader_preprocessors import JudgeOutside, RestoreTestCells, SandboxedExecute

c = get_config()  # noqa: F821 (provided by traitlets when nbgrader loads this file)

c.CourseDirectory.course_id = "cnnlab"
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "assignments"

c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE / ここにコードを書く\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE / ここに答えを書く"

# A cell that runs longer than this is interrupted and scores 0; the next cell and the next
# student go on. The checks stop a hanging student function much sooner (CNNLAB_TIME_LIMIT).
c.Execute.timeout = 120
c.JudgeOutside.cell_timeout = 120

# Deleted test cells are put back from the release before the gradebook's are checked.
c.Autograde.sanitize_preprocessors = [ClearOutput, DeduplicateIds, OverwriteKernelspec, RestoreTestCells, OverwriteCells,
                                      CheckCellMetadata]
c.Autograde.autograde_preprocessors = [SandboxedExecute, IgnorePattern, ClearMetadataPreprocessor, JudgeOutside,
                                       LimitOutput, SaveAutoGrades, AssignLatePenalties, CheckCellMetadata]
