"""Build hook: the wheel carries the dbt project beside the code.

`webstats` runs dbt over a project (models, macros, seeds, profiles, singular tests,
dbt_project.yml). In the source tree that project is the repository's top level; a wheel
has no top level, so building one copies those parts into the package as
`webstats/_project` (one copy in git, one in each wheel). The renderer's templates and
static files are ordinary package data (pyproject.toml). Everything else is declared in
pyproject.toml; webstats.core.settings finds the copy at run time (packaged_project).
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
from webstats.core.settings import copy_project  # noqa: E402  (the one list of the parts)


class BuildWithProject(build_py):
    """build_py, then the dbt project into build/lib/webstats/_project (not for editable
    installs: those run from the source tree, which is the project)."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        dest = Path(self.build_lib) / "webstats" / "_project"
        shutil.rmtree(dest, ignore_errors=True)
        copy_project(dest, ROOT)


setup(cmdclass={"build_py": BuildWithProject})
