"""Names from the tree measured, wherever that tree keeps them.

``make bench BENCH_SOURCE=...`` measures older checkouts too, whose package was laid out flat
(before issue 15: ``buurtwhatsapp.signups``, ``buurtwhatsapp.config`` ...). Each name is looked
up where this tree keeps it first, then where older trees did.
"""

from __future__ import annotations

import importlib
from typing import Any

# Where this tree keeps a module -> where the flat layout kept it.
FLAT_LAYOUT = {
    "buurtwhatsapp.common.signed_links": "buurtwhatsapp.links",
    "buurtwhatsapp.residents.signup": "buurtwhatsapp.signups",
    "buurtwhatsapp.residents.membership": "buurtwhatsapp.membership",
    "buurtwhatsapp.residents.housekeeping": "buurtwhatsapp.housekeeping",
    "buurtwhatsapp.coordinators.changes": "buurtwhatsapp.people_changes",
    "buurtwhatsapp.deployment.structure": "buurtwhatsapp.config",
}


def tree_name(module: str, name: str) -> Any:
    """``module.name`` of the tree measured, in this tree's layout or the flat one."""
    try:
        found = importlib.import_module(module)
    except ModuleNotFoundError:
        found = importlib.import_module(FLAT_LAYOUT[module])
    return getattr(found, name)
