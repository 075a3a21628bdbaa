"""Self-update: read a package index, tell the user a newer release exists, upgrade in place.

- :mod:`.index` reads a PEP 503/691 index and picks the newest installable release.
- :mod:`.check` is the once-a-day "update available" check, cached and off the caller's thread.
- :mod:`.install` is ``gemini-live update``: detect the installation, upgrade it, roll back.

It sits beside the layers, not in them: it imports neither the session (``live``), the
engine nor the UI.  The composition root (``cli.py``) wires the check into the app as a
plain callable, so the UI never reaches the updater.  This file imports nothing, so that
``import gemini_live_tui.update.check`` stays as light as the module itself.
"""
