"""The Nagios and Icinga 2 wiring customers copy from the docs is the text the lab's Nagios
and Icinga 2 run."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab import icinga, nagios
from tests.plugins.lab import PROJECT_DIR


@pytest.mark.parametrize(
    ("marker", "snippet"),
    [("nagios-snippet", nagios.SNIPPET), ("icinga-snippet", icinga.SNIPPET)],
)
def test_the_docs_snippet_is_the_lab_config(marker: str, snippet: Path) -> None:
    docs = (PROJECT_DIR / "docs" / "CONFIGURATION.md").read_text()
    opening = f"<!-- {marker} -->\n```\n"
    assert opening in docs, f"docs/CONFIGURATION.md lost its {marker}"
    block = docs.split(opening, 1)[1].split("```\n", 1)[0]
    assert block == snippet.read_text()
