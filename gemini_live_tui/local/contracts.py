"""The local server refuses a setup's forbidden fields the way each model family's service does.

Reads the shared table in :mod:`gemini_live_tui.model_contracts` (a leaf of pure data, not the
client's ``protocol`` package): a forbidden field present in the setup means a close with the
contract's code and text, or no ``setupComplete`` at all where the contract sheet says the real
service stays silent.  Fields the service accepts and ignores pass.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gemini_live_tui.model_contracts import Refusal, contract_for

__all__ = ["refusal_for"]


def _present(tree: Mapping[str, Any], path: str) -> bool:
    node: Any = tree
    for key in path.split("."):
        if not isinstance(node, Mapping) or key not in node:
            return False
        node = node[key]
    return True


def refusal_for(setup: Mapping[str, Any]) -> Refusal | None:
    """How the service refuses ``setup`` (a close or silence), or None when it accepts it."""
    contract = contract_for(str(setup.get("model", "")))
    if contract is None:
        return None
    for path, refusal in contract.forbidden.items():
        if refusal.kind != "accepted" and _present(setup, path):
            return refusal
    return None
