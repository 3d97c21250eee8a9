"""The local lab is not part of the product: it lives beside the package in a checkout.

`fixline demo` and `fixline lab` use it when it is there (FIXLINE_PROJECT_DIR, by default
the checkout the package runs from); an installed wheel has no lab and says so.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from runner_api.cli.common import EXIT_INVALID, fail

if TYPE_CHECKING:
    from runner_api.settings import Settings


def reach_lab(settings: Settings) -> None:
    """Make the checkout's `lab` package importable, or stop with what to do."""
    home = settings.project_dir
    if not (home / "lab" / "__init__.py").is_file():
        raise fail(
            f"the local lab is not installed with Fixline and is not in {home}: run this "
            "from a checkout of Fixline (or point FIXLINE_PROJECT_DIR at one)",
            EXIT_INVALID,
        )
    if str(home) not in sys.path:
        sys.path.insert(0, str(home))
