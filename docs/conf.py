"""Sphinx configuration for the ganbalance documentation.

Build from the repository root with warnings as errors::

    sphinx-build -W --keep-going -b html docs docs/_build/html

Nothing is downloaded at build time: no intersphinx, no remote images, the theme's assets are
bundled. Pages are MyST Markdown; the API reference is generated from the numpydoc docstrings.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from sphinx.util import logging

import ganbalance

DOCS = Path(__file__).resolve().parent

# -- Project -------------------------------------------------------------------------------------

project = "ganbalance"
author = "The ganbalance developers"
copyright = "The ganbalance developers"
release = ganbalance.__version__
version = ".".join(release.split(".")[:2])

# -- General -------------------------------------------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.viewcode",
    "numpydoc",
    "myst_parser",
]

source_suffix = {".rst": "restructuredtext", ".md": "markdown"}
root_doc = "index"
templates_path = ["_templates"]
exclude_patterns = ["_build", "Thumbs.db", ".DS_Store"]
# Offline build: no inventories are fetched (intersphinx is deliberately not enabled).
intersphinx_mapping: dict = {}

# -- MyST ----------------------------------------------------------------------------------------

myst_enable_extensions = ["colon_fence", "deflist"]
# Anchors for ``## headings`` so that ``[text](#heading-slug)`` links in the guide resolve.
myst_heading_anchors = 3

# -- API reference: autodoc, autosummary, numpydoc ----------------------------------------------

autosummary_generate = True
autosummary_imported_members = False
autodoc_typehints = "none"  # the numpydoc "Parameters" sections carry the types
autodoc_member_order = "bysource"
# A method without its own docstring (``forward``, the callback hooks) is left out rather than
# shown with torch's or the base class's generic text.
autodoc_inherit_docstrings = False
# No autodoc_default_options: the autosummary templates in _templates/ ask for the members
# (methods inherited from torch.nn.Module, Callback and Exception left out), and the
# ``automodule`` directives of api.rst only show the module docstrings. Since autodoc lists the
# members, numpydoc listing them again would describe every object twice.
numpydoc_show_class_members = False
numpydoc_show_inherited_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True

# -- HTML ----------------------------------------------------------------------------------------

html_theme = "pydata_sphinx_theme"
html_title = f"ganbalance {release}"
html_theme_options = {
    "header_links_before_dropdown": 7,
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "secondary_sidebar_items": ["page-toc", "sourcelink"],
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version", "theme-version"],
}
html_sidebars = {"index": [], "getting_started": [], "changelog": [], "benchmarks": [],
                 "design_log": []}
html_static_path: list[str] = []
html_show_sourcelink = True

# -- Result files that a script has not written yet ----------------------------------------------
#
# Example and benchmark pages quote the files their scripts write (``{include}`` of a results
# Markdown file, ``![...](figure.png)``). A missing file would fail the ``-W`` build, which is
# wrong while a long run is still producing it: such a reference is replaced, in memory only, by
# a visible note that names the file and logged at INFO level. With GANBALANCE_DOCS_STRICT=1 in
# the environment it is a warning instead, so ``-W`` fails the build (CI, once results exist).

_logger = logging.getLogger("ganbalance.docs")
_INCLUDE = re.compile(r"^(?P<fence>```+|:::+)\{include\}\s+(?P<path>\S+)[^\n]*\n"
                      r"(?P<body>(?:(?!(?P=fence)).*\n)*?)(?P=fence)[ \t]*$", re.MULTILINE)
_IMAGE = re.compile(r"!\[(?P<alt>[^\]]*)\]\((?P<path>[^)\s]+)\)")


def _missing(app, docname, relpath):
    if "://" in relpath:
        return None
    target = (DOCS / docname).parent / relpath
    if target.exists():
        return None
    app.env.note_dependency(str(target))  # re-read the page on the next build
    shown = os.path.relpath(target.resolve(), DOCS.parent)
    message = f"{docname}: {shown} does not exist yet; the page shows a note in its place"
    if os.environ.get("GANBALANCE_DOCS_STRICT") == "1":
        _logger.warning(message, location=docname)
    else:
        _logger.info(message)
    return shown


def _stub_missing_results(app, docname, source):
    text = source[0]

    def include(match):
        shown = _missing(app, docname, match["path"])
        if shown is None:
            return match[0]
        return (f":::{{note}}\n`{shown}` has not been generated yet: run the script named on "
                f"this page to write it.\n:::")

    def image(match):
        shown = _missing(app, docname, match["path"])
        if shown is None:
            return match[0]
        return f"*(Figure not generated yet: `{shown}`.)*"

    source[0] = _IMAGE.sub(image, _INCLUDE.sub(include, text))


def _skip_member(app, what, name, obj, skip, options):
    # scikit-learn adds ``set_{method}_request`` to every estimator for metadata routing; their
    # generic docstrings point into scikit-learn's own documentation.
    if re.fullmatch(r"set_\w+_request", name):
        return True
    return None


# Methods inherited from scikit-learn and imbalanced-learn (``fit_resample``, ``get_params``,
# ``score``, ...) are documented with their own docstrings, whose ``:ref:`` and ``:term:`` roles
# point into those projects' documentation. Without intersphinx (the build is offline) they
# cannot resolve, so they are shown as plain text; references in ganbalance's own docstrings
# stay checked.
_FOREIGN_ROLE = re.compile(r":(?:ref|term):`(?P<text>[^`<]*?)\s*(?:<(?P<target>[^>`]*)>)?`")


def _plain_foreign_refs(app, what, name, obj, options, lines):
    module = getattr(obj, "__module__", None) or ""
    if module.split(".")[0] not in ("sklearn", "imblearn"):
        return
    lines[:] = [_FOREIGN_ROLE.sub(lambda m: m["text"] or m["target"], line) for line in lines]


def setup(app):
    app.connect("source-read", _stub_missing_results)
    app.connect("autodoc-skip-member", _skip_member)
    app.connect("autodoc-process-docstring", _plain_foreign_refs)
    return {"parallel_read_safe": True}
