"""``gemini-live update``: upgrade gemini-live in place, check that it starts, roll back if not.

The steps, in order:

1. Read the package index (:mod:`gemini_live_tui.update.index`) and pick the newest
   release (PEP 440 ordering; pre-releases only with ``--pre``).  Never downgrade.
2. Find out how this copy was installed: a pipx venv, a ``uv tool`` environment, the private
   venv made by ``install.sh`` or any other virtual environment.  A Python that is not a
   virtual environment (the system's, an externally managed one) or an editable checkout is
   refused: we only change environments that belong to gemini-live.
3. Keep the running version for a rollback: repack the installed files into a wheel under
   the user cache directory (offline, works even when the index no longer has the old
   release); if that is impossible, remember the old version pin instead.
4. Install ``gemini-live==X`` with that environment's own installer (its pip; ``uv pip`` for
   uv environments).  The index URL goes to the installer through the environment, not the
   command line, so a token in it never shows up in a process list.
5. Run ``<env>/bin/gemini-live --version``; if it fails or prints another version, reinstall
   the kept wheel (or pin) and report the failure.

Every import happens at module load, before pip replaces the package's files, so this
process never mixes modules of two versions.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import zipfile
from base64 import urlsafe_b64encode
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import platformdirs
from packaging.version import InvalidVersion, Version

from gemini_live_tui import __version__
from gemini_live_tui.errors import UpdateError
from gemini_live_tui.text_safety import MASK
from gemini_live_tui.update.index import (
    DIST_NAME,
    fetch_project_files,
    mask_url,
    resolve_index_url,
    select_latest,
)

__all__ = [
    "INSTALLER_MARKER",
    "Installation",
    "current_version",
    "detect_installation",
    "run",
    "save_rollback_wheel",
    "upgrade",
]

# install.sh writes this file into the private venv it creates.
INSTALLER_MARKER = ".gemini-live-installer"
_VERSION_LINE = re.compile(r"version\s+(\S+)\s*$")
_CREDENTIALS = re.compile(r"://[^/@\s]+@")
# Files pip writes at install time; a rollback wheel must not carry them.
_INSTALL_TIME_FILES = {"RECORD", "INSTALLER", "REQUESTED", "direct_url.json"}
_PIP_TIMEOUT = 900.0
_START_TIMEOUT = 60.0

Echo = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class Installation:
    """Where and how the running gemini-live is installed.

    Attributes:
        kind: ``"pipx"``, ``"uv tool"``, ``"install.sh"`` (the private venv) or ``"venv"``.
        env_dir: the virtual environment's directory.
        python: that environment's interpreter.
        launcher: the ``gemini-live`` script inside the environment.
        version: the installed version.
    """

    kind: str
    env_dir: Path
    python: Path
    launcher: Path
    version: Version


def current_version() -> Version:
    """The installed version of gemini-live (the package's own if metadata is missing)."""
    try:
        return Version(importlib.metadata.version(DIST_NAME))
    except (importlib.metadata.PackageNotFoundError, InvalidVersion):
        return Version(__version__)


def _is_editable(dist: importlib.metadata.Distribution) -> str | None:
    """The source directory of an editable install, or ``None``."""
    text = dist.read_text("direct_url.json")
    if not text:
        return None
    try:
        data = json.loads(text)
    except ValueError:
        return None
    dir_info = data.get("dir_info") if isinstance(data, dict) else None
    if isinstance(dir_info, dict) and dir_info.get("editable"):
        url = str(data.get("url", ""))
        return url.removeprefix("file://") or "a source checkout"
    return None


def _externally_managed(stdlib: Path) -> bool:
    return (stdlib / "EXTERNALLY-MANAGED").is_file()


def _is_within(path: Path, parent: Path) -> bool:
    try:
        path.resolve().relative_to(parent.resolve())
    except ValueError:
        return False
    return True


def detect_installation(
    *,
    dist: importlib.metadata.Distribution | None = None,
    prefix: Path | None = None,
    base_prefix: Path | None = None,
    stdlib: Path | None = None,
    scripts: Path | None = None,
) -> Installation:
    """Find how the running gemini-live was installed (arguments default to this process).

    Raises:
        UpdateError: not installed as a distribution, installed outside a virtual
            environment (system or externally managed Python), or an editable checkout.
    """
    if dist is None:
        try:
            dist = importlib.metadata.distribution(DIST_NAME)
        except importlib.metadata.PackageNotFoundError:
            raise UpdateError(
                "gemini-live runs from source without package metadata; "
                "update the checkout with git instead"
            ) from None
    env = Path(sys.prefix if prefix is None else prefix)
    base = Path(sys.base_prefix if base_prefix is None else base_prefix)
    stdlib_dir = Path(sysconfig.get_path("stdlib") if stdlib is None else stdlib)
    location = Path(str(dist.locate_file("")))
    if env.resolve() == base.resolve() or not _is_within(location, env):
        python_dir = base if not _is_within(location, env) else env
        if _externally_managed(stdlib_dir):
            raise UpdateError(
                f"gemini-live is installed in the system Python at {python_dir}, which the "
                "operating system's package manager owns; reinstall it with install.sh "
                "(it makes a private environment) and update that"
            )
        raise UpdateError(
            f"gemini-live is installed in the Python at {python_dir}, not in a virtual "
            "environment, so update leaves it alone; run that Python's "
            "'-m pip install --upgrade gemini-live' yourself or reinstall with install.sh"
        )
    source = _is_editable(dist)
    if source is not None:
        raise UpdateError(
            f"gemini-live is an editable install of {source}; update it with git "
            "(and 'pip install -e' again if its dependencies changed)"
        )
    if (env / "pipx_metadata.json").is_file():
        kind = "pipx"
    elif (env / "uv-receipt.toml").is_file():
        kind = "uv tool"
    elif (env / INSTALLER_MARKER).is_file():
        kind = "install.sh"
    else:
        kind = "venv"
    bin_dir = Path(sysconfig.get_path("scripts")) if scripts is None else scripts
    python = bin_dir / Path(sys.executable).name if prefix is not None else Path(sys.executable)
    return Installation(
        kind=kind,
        env_dir=env,
        python=python,
        launcher=bin_dir / "gemini-live",
        version=Version(dist.version),
    )


def _hash_record(data: bytes) -> str:
    digest = urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode("ascii")
    return f"sha256={digest}"


def _compressed_tag(tags: Sequence[str]) -> str:
    """Join ``py3-none-any``-style tags into one wheel-file-name tag (``py2.py3-none-any``)."""
    parts: list[list[str]] = [[], [], []]
    for tag in tags:
        for slot, value in zip(parts, tag.split("-"), strict=True):
            if value not in slot:
                slot.append(value)
    return "-".join(".".join(slot) for slot in parts)


def save_rollback_wheel(dist: importlib.metadata.Distribution, dest_dir: Path) -> Path:
    """Repack the installed files of ``dist`` into a wheel in ``dest_dir`` and return it.

    Console scripts are not copied: the installer regenerates them from
    ``entry_points.txt``.  Older rollback wheels in ``dest_dir`` are removed.

    Raises:
        UpdateError: when the installation lacks a RECORD or WHEEL file, or a listed file
            is missing.
    """
    files = dist.files
    wheel_text = dist.read_text("WHEEL")
    if not files or not wheel_text:
        raise UpdateError("the installed gemini-live has no RECORD/WHEEL metadata to repack")
    tags = [
        line.split(":", 1)[1].strip() for line in wheel_text.splitlines() if line.startswith("Tag:")
    ]
    if not tags:
        raise UpdateError("the installed gemini-live's WHEEL file names no tag")
    name = re.sub(r"[-_.]+", "_", dist.metadata["Name"]).lower()
    filename = f"{name}-{dist.version}-{_compressed_tag(tags)}.whl"
    dest_dir.mkdir(parents=True, exist_ok=True)
    record: list[str] = []
    dist_info = ""
    fd, tmp_name = tempfile.mkstemp(dir=dest_dir, suffix=".part")
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp_name, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for item in files:
                parts = item.parts
                if ".." in parts or item.is_absolute() or "__pycache__" in parts:
                    continue
                if parts[0].endswith(".dist-info"):
                    dist_info = parts[0]
                    if len(parts) == 2 and parts[1] in _INSTALL_TIME_FILES:
                        continue
                source = Path(str(item.locate()))
                try:
                    data = source.read_bytes()
                except OSError as exc:
                    raise UpdateError(
                        f"cannot keep a rollback copy: {item.as_posix()} is unreadable ({exc})"
                    ) from exc
                arcname = item.as_posix()
                archive.writestr(arcname, data)
                record.append(f"{arcname},{_hash_record(data)},{len(data)}")
            if not dist_info:
                raise UpdateError("the installed gemini-live lists no .dist-info directory")
            record.append(f"{dist_info}/RECORD,,")
            archive.writestr(f"{dist_info}/RECORD", "\n".join(record) + "\n")
        target = dest_dir / filename
        for old in dest_dir.glob("*.whl"):
            old.unlink()
        os.replace(tmp_name, target)
    finally:
        Path(tmp_name).unlink(missing_ok=True)
    return target


def _last_error_line(output: str) -> str:
    """The most telling line of an installer's output, with credentials masked."""
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith(("ERROR:", "error:"))]
    line = (errors or lines or ["no output"])[-1]
    return _CREDENTIALS.sub(f"://{MASK}@", line)


def _installer_command(inst: Installation, args: Sequence[str]) -> list[str]:
    """The command that runs ``pip <args>`` against ``inst``'s environment.

    The environment's own pip when it has one; ``uv pip`` for uv tool environments (they
    have no pip) and for pip-less ones; ``pipx runpip`` for a pip-less pipx environment.
    """
    uv = shutil.which("uv")
    if inst.kind != "uv tool" and importlib.util.find_spec("pip") is not None:
        return [str(inst.python), "-m", "pip", *args]
    if uv is not None:
        # uv spells pip's --force-reinstall as --reinstall.
        uv_args = ["--reinstall" if arg == "--force-reinstall" else arg for arg in args]
        return [uv, "pip", *uv_args[:1], "--python", str(inst.python), *uv_args[1:]]
    pipx = shutil.which("pipx")
    if inst.kind == "pipx" and pipx is not None:
        return [pipx, "runpip", inst.env_dir.name, *args]
    raise UpdateError(
        f"the environment at {inst.env_dir} has no pip and uv is not on PATH; "
        "install uv (or pip into that environment) and try again"
    )


def _note_pipx_version(inst: Installation, version: Version) -> None:
    """Keep ``pipx list`` truthful: record the new version in pipx's metadata, if present."""
    path = inst.env_dir / "pipx_metadata.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        main = data["main_package"]
        if isinstance(main, dict) and "package_version" in main:
            main["package_version"] = str(version)
            tmp = path.with_suffix(".tmp")
            tmp.write_text(json.dumps(data, indent=4, sort_keys=True), encoding="utf-8")
            os.replace(tmp, path)
    except (OSError, ValueError, KeyError, TypeError):
        # pipx's bookkeeping is a nicety; the upgrade itself already succeeded.
        pass


def _installer_env(index_url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        PIP_INDEX_URL=index_url,
        UV_INDEX_URL=index_url,
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PIP_NO_INPUT="1",
    )
    return env


def _run_installer(command: list[str], env: Mapping[str, str]) -> tuple[bool, str]:
    try:
        done = subprocess.run(
            command,
            env=dict(env),
            capture_output=True,
            text=True,
            timeout=_PIP_TIMEOUT,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, str(exc)
    return done.returncode == 0, _last_error_line(done.stderr or done.stdout)


def check_starts(launcher: Path, expected: Version) -> str | None:
    """Run ``launcher --version``; ``None`` if it printed ``expected``, else the reason."""
    env = dict(os.environ, GEMINI_LIVE_NO_UPDATE_CHECK="1")
    try:
        done = subprocess.run(
            [str(launcher), "--version"],
            env=env,
            capture_output=True,
            text=True,
            timeout=_START_TIMEOUT,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        return f"'{launcher.name} --version' did not finish in {_START_TIMEOUT:.0f} s"
    except OSError as exc:
        return f"cannot run {launcher}: {exc.strerror or exc}"
    if done.returncode != 0:
        detail = _last_error_line(done.stderr or done.stdout)
        return f"'{launcher.name} --version' exited with {done.returncode}: {detail}"
    match = _VERSION_LINE.search(done.stdout.strip())
    try:
        got = Version(match.group(1)) if match else None
    except InvalidVersion:
        got = None
    if got != expected:
        return f"'{launcher.name} --version' printed {done.stdout.strip()!r}, not {expected}"
    return None


def upgrade(
    inst: Installation,
    target: Version,
    index_url: str,
    echo: Echo,
    *,
    dist: importlib.metadata.Distribution | None = None,
    rollback_dir: Path | None = None,
) -> None:
    """Install ``target`` into ``inst``'s environment, verify it starts, roll back if not.

    Raises:
        UpdateError: the install failed or the new version did not start (after a rollback,
            whose outcome the message states).
    """
    dist = dist or importlib.metadata.distribution(DIST_NAME)
    keep_dir = rollback_dir or platformdirs.user_cache_path("gemini-live") / "rollback"
    try:
        kept: Path | None = save_rollback_wheel(dist, keep_dir)
    except (UpdateError, OSError) as exc:
        echo(f"note: no rollback copy ({exc}); a rollback would reinstall {inst.version}")
        kept = None
    env = _installer_env(index_url)
    spec = f"{DIST_NAME}=={target}"
    echo(f"installing {spec} into {inst.env_dir} ({inst.kind}) ...")
    ok, detail = _run_installer(_installer_command(inst, ["install", "--upgrade", spec]), env)
    if not ok:
        if check_starts(inst.launcher, inst.version) is None:
            raise UpdateError(f"could not install {spec} ({detail}); {inst.version} is unchanged")
        failure = f"could not install {spec} ({detail})"
    else:
        problem = check_starts(inst.launcher, target)
        if problem is None:
            if inst.kind == "pipx":
                _note_pipx_version(inst, target)
            return
        failure = f"{DIST_NAME} {target} does not start ({problem})"
    echo(f"{failure}; rolling back to {inst.version} ...")
    base = ["install", "--force-reinstall", "--no-deps"]
    if kept is not None:
        args = [*base, "--no-index", str(kept)]
    else:
        args = [*base, f"{DIST_NAME}=={inst.version}"]
    ok, detail = _run_installer(_installer_command(inst, args), env)
    problem = check_starts(inst.launcher, inst.version) if ok else detail
    if problem is not None:
        how = f"'{inst.python} -m pip install {kept or f'{DIST_NAME}=={inst.version}'}'"
        raise UpdateError(f"{failure}; the rollback failed too ({problem}); reinstall with {how}")
    raise UpdateError(f"{failure}; rolled back to {inst.version}")


def run(
    *,
    check: bool,
    pre: bool,
    index_url: str | None,
    echo: Echo,
    error: Echo,
    environ: Mapping[str, str] | None = None,
) -> int:
    """The ``update`` command: report (``check``) or upgrade; returns the exit status."""
    try:
        index = resolve_index_url(index_url, environ)
        shown = mask_url(index)
        files = fetch_project_files(index)
        latest = select_latest(files, pre=pre)
        newest_any = select_latest(files, pre=True)
        current = current_version()
        if latest is None:
            hint = f" (only the pre-release {newest_any}; add --pre)" if newest_any else ""
            raise UpdateError(f"the index {shown} lists no installable gemini-live release{hint}")
        if latest == current:
            echo(f"gemini-live {current} is up to date (newest on {shown}: {latest})")
            return 0
        if latest < current:
            echo(
                f"gemini-live {current} is newer than the newest release on {shown} "
                f"({latest}); not downgrading"
            )
            return 0
        if check:
            flag = " --pre" if pre else ""
            echo(
                f"gemini-live {latest} is available (installed: {current}); "
                f"run 'gemini-live update{flag}' to install it"
            )
            return 0
        inst = detect_installation()
        upgrade(inst, latest, index, echo)
        echo(f"updated gemini-live {current} -> {latest}")
        return 0
    except UpdateError as exc:
        error(f"gemini-live update: {exc}")
        return 1
