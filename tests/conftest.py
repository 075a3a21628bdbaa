"""Shared test fixtures.

``require_program`` skips a test whose Debian package is missing on a developer
machine, but fails it in CI (``CI=true``), where ``.ci/run`` installs every
package: a system test must never be silently skipped where it should run.
"""

from __future__ import annotations

import os
import shutil

import pytest

# The app's daily "update available" check reads the package index; no test (nor any
# process a test starts) should reach the network for it.  Tests of the check pass their
# own environment explicitly.
os.environ.setdefault("GEMINI_LIVE_NO_UPDATE_CHECK", "1")


def require_program(*names: str) -> None:
    """Skip (or, in CI, fail) unless every named program is on PATH."""
    missing = [name for name in names if shutil.which(name) is None]
    if not missing:
        return
    message = f"needs {', '.join(missing)} (Debian packages; .ci/run installs them)"
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(message)
    pytest.skip(message)
