"""Docstring text shared between estimators, declared once.

``GANOverSampler`` passes most of its parameters to ``ConditionalGAN`` unchanged; their
descriptions are written once, in ``ConditionalGAN``'s numpydoc "Parameters" section, and copied
into the sampler's docstring from there.
"""

from __future__ import annotations

import inspect

__all__ = ["parameter_entries"]


def _entries(doc: str) -> dict:
    """``{name: lines}`` of the numpydoc "Parameters" section of ``doc`` (dedented)."""
    lines = inspect.cleandoc(doc).splitlines()
    start = lines.index("Parameters") + 2
    entries, name = {}, None
    for line in lines[start:]:
        if line and not line.startswith(" "):
            if " : " not in line:  # the next section's title
                break
            name = line.split(" : ")[0]
            entries[name] = [line]
        elif name is not None and line.strip():
            entries[name].append(line)
    return entries


def parameter_entries(doc: str, names, indent: int = 4) -> str:
    """The entries for ``names`` of the "Parameters" section of ``doc``, in that order,
    indented by ``indent`` spaces and separated by blank lines (the first line unindented, to
    replace a placeholder that is indented already)."""
    entries = _entries(doc)
    missing = [name for name in names if name not in entries]
    if missing:
        raise KeyError(f"no docstring entry for {missing}")
    pad = " " * indent
    blocks = ["\n".join(pad + line for line in entries[name]) for name in names]
    return "\n\n".join(blocks).lstrip()
