"""Every Markdown table a script wrote has as many cells in each row as in its header.

A delimiter row with one cell too many stops Markdown renderers from drawing the table at all.
"""

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
WRITTEN = sorted(p for folder in ("benchmarks/results", "examples/results",
                                  "benchmarks/design_log/logs")
                 for p in (ROOT / folder).rglob("*.md")
                 if "quick" not in p.parts and "local" not in p.parts)


def tables(text):
    """Each table in ``text`` as a list of its lines."""
    block = []
    for line in text.splitlines() + [""]:
        if line.startswith("|"):
            block.append(line)
        elif block:
            yield block
            block = []


def cells(line):
    return line.strip().strip("|").split("|")


def test_there_are_results_files():
    assert len(WRITTEN) > 10


@pytest.mark.parametrize("path", WRITTEN, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_row_has_the_header_s_cell_count(path):
    for table in tables(path.read_text()):
        width = len(cells(table[0]))
        assert len(table) >= 2 and set(cells(table[1])) <= {"---", ":---", "---:", ":---:"}, \
            table[:2]
        for line in table[1:]:
            assert len(cells(line)) == width, (path.name, table[0], line)
