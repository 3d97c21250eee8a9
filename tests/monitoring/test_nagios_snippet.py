"""The Nagios wiring customers copy from the docs is the text the lab's Nagios runs."""

from __future__ import annotations

from lab.nagios import SNIPPET
from tests.plugins.lab import PROJECT_DIR

MARKER = "<!-- nagios-snippet -->\n```\n"


def test_the_docs_snippet_is_the_lab_config() -> None:
    docs = (PROJECT_DIR / "docs" / "CONFIGURATION.md").read_text()
    assert MARKER in docs, "docs/CONFIGURATION.md lost its Nagios snippet"
    block = docs.split(MARKER, 1)[1].split("```\n", 1)[0]
    assert block == SNIPPET.read_text()
