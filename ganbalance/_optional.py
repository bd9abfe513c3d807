"""Optional dependencies (matplotlib, Pillow, pandas), imported only when a feature needs them."""

from __future__ import annotations

import importlib


def import_optional(name, message):
    """Import the module ``name``, or raise an ImportError that says how to install it.

    Parameters
    ----------
    name : str
        The module, as in an ``import`` statement, e.g. ``'matplotlib.pyplot'``.
    message : str
        The ImportError's message when ``name`` cannot be imported: what needs the module and
        how to install it.

    Returns
    -------
    module : module
        The imported module.

    Examples
    --------
    >>> from ganbalance._optional import import_optional
    >>> import_optional("math", "unused").sqrt(4.0)
    2.0
    >>> import_optional("no_such_module", "Drawing needs no_such_module.")
    Traceback (most recent call last):
    ...
    ImportError: Drawing needs no_such_module.
    """
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise ImportError(message) from exc
