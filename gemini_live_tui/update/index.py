"""Read a Python package index (PEP 503 HTML or PEP 691 JSON) and pick the newest release.

This is the read-only half of self-update: it lists the files an index holds for one
project, turns file names into PEP 440 versions, and chooses the newest release this
interpreter can install (not yanked, ``Requires-Python`` satisfied, a compatible wheel or an
sdist; pre-releases only when asked).  It uses the standard library's ``urllib`` only, so
``gemini-live update --check`` stays light.

Index URLs may carry credentials (``https://user:token@host/simple``).  They are sent as an
``Authorization`` header, never as part of a message: every URL that reaches a message goes
through :func:`mask_url` first.
"""

from __future__ import annotations

import base64
import json
import os
import platform
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.tags import Tag, sys_tags
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import Version

from gemini_live_tui import __version__
from gemini_live_tui.errors import UpdateError
from gemini_live_tui.text_safety import mask_url

__all__ = [
    "DEFAULT_INDEX_URL",
    "DIST_NAME",
    "IndexFile",
    "fetch_project_files",
    "find_latest",
    "mask_url",
    "parse_html_listing",
    "parse_json_listing",
    "resolve_index_url",
    "select_latest",
]

DIST_NAME = "gemini-live"
DEFAULT_INDEX_URL = "https://pypi.org/simple"

# PEP 691 content negotiation: prefer JSON, accept the HTML forms as a fallback.
_ACCEPT = (
    "application/vnd.pypi.simple.v1+json, "
    "application/vnd.pypi.simple.v1+html;q=0.2, "
    "text/html;q=0.01"
)
# A project page on PyPI is a few hundred kB at most; refuse anything absurd.
_MAX_BYTES = 32 * 1024 * 1024
_SDIST_SUFFIXES = (".tar.gz", ".zip")


@dataclass(frozen=True, slots=True)
class IndexFile:
    """One distribution file listed on a project page.

    Attributes:
        filename: the file name (``gemini_live-0.2.0-py3-none-any.whl``).
        url: where to download it (absolute; may still carry index credentials).
        version: the release it belongs to, or ``None`` if the name is not a wheel/sdist of
            the project.
        yanked: whether the index marks it yanked (PEP 592).
        requires_python: the ``Requires-Python`` specifier, ``""`` if none.
        tags: the wheel's tags; empty for an sdist.
    """

    filename: str
    url: str
    version: Version | None
    yanked: bool = False
    requires_python: str = ""
    tags: frozenset[Tag] = frozenset()

    @property
    def is_wheel(self) -> bool:
        """Whether this is a wheel (else an sdist or something unknown)."""
        return self.filename.endswith(".whl")


def resolve_index_url(explicit: str | None, environ: Mapping[str, str] | None = None) -> str:
    """The index to use: ``explicit``, else ``$PIP_INDEX_URL``, else PyPI.

    Raises:
        UpdateError: when the chosen value is not an http(s) or file URL.
    """
    env = os.environ if environ is None else environ
    url = (explicit or env.get("PIP_INDEX_URL") or DEFAULT_INDEX_URL).strip()
    scheme = urllib.parse.urlsplit(url).scheme
    if scheme not in {"http", "https", "file"}:
        raise UpdateError(f"index URL {mask_url(url)!r} is not an http, https or file URL")
    return url


def _version_of(filename: str, project: str) -> tuple[Version | None, frozenset[Tag]]:
    """The release version and wheel tags a file name stands for, if it is ``project``'s."""
    want = canonicalize_name(project)
    try:
        if filename.endswith(".whl"):
            name, version, _build, tags = parse_wheel_filename(filename)
            return (version, tags) if name == want else (None, frozenset())
        for suffix in _SDIST_SUFFIXES:
            if filename.endswith(suffix):
                sname, sversion = parse_sdist_filename(filename)
                return (sversion, frozenset()) if sname == want else (None, frozenset())
    except (InvalidWheelFilename, InvalidSdistFilename):
        pass
    return None, frozenset()


def _make_file(
    filename: str, url: str, project: str, *, yanked: bool, requires_python: str
) -> IndexFile:
    version, tags = _version_of(filename, project)
    return IndexFile(
        filename=filename,
        url=url,
        version=version,
        yanked=yanked,
        requires_python=requires_python,
        tags=tags,
    )


class _AnchorParser(HTMLParser):
    """Collects ``<a>`` elements of a PEP 503 page with their PEP 592/503 data attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.anchors: list[tuple[dict[str, str | None], str]] = []
        self.base: str | None = None
        self._open: dict[str, str | None] | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "base" and self.base is None:
            self.base = dict(attrs).get("href")
        elif tag == "a":
            self._open = dict(attrs)
            self._text = []

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a" and self._open is not None:
            self.anchors.append((self._open, "".join(self._text).strip()))
            self._open = None


def parse_html_listing(text: str, base_url: str, project: str = DIST_NAME) -> list[IndexFile]:
    """The files on a PEP 503 project page.

    Args:
        text: the HTML.
        base_url: the page's final URL, to resolve relative links against.
        project: the project whose files count (others get ``version=None``).
    """
    parser = _AnchorParser()
    parser.feed(text)
    parser.close()
    base = urllib.parse.urljoin(base_url, parser.base) if parser.base else base_url
    files = []
    for attrs, label in parser.anchors:
        href = attrs.get("href")
        if not href:
            continue
        url = urllib.parse.urljoin(base, href)
        # PEP 503: the link text is the file name; fall back to the URL path.
        path = urllib.parse.urlsplit(url).path
        filename = label or urllib.parse.unquote(path.rsplit("/", 1)[-1])
        files.append(
            _make_file(
                filename,
                url,
                project,
                yanked="data-yanked" in attrs,
                requires_python=attrs.get("data-requires-python") or "",
            )
        )
    return files


def parse_json_listing(text: str, base_url: str, project: str = DIST_NAME) -> list[IndexFile]:
    """The files on a PEP 691 JSON project page.

    Raises:
        UpdateError: when the body is not the PEP 691 shape.
    """
    try:
        data = json.loads(text)
        entries = data["files"]
        if not isinstance(entries, list):
            raise TypeError("files is not a list")
        files = []
        for entry in entries:
            yanked = entry.get("yanked", False)
            files.append(
                _make_file(
                    str(entry["filename"]),
                    urllib.parse.urljoin(base_url, str(entry["url"])),
                    project,
                    yanked=bool(yanked),
                    requires_python=str(entry.get("requires-python") or ""),
                )
            )
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise UpdateError(f"the index answered JSON that is not a PEP 691 page ({exc})") from exc
    return files


def _split_credentials(url: str) -> tuple[str, str | None]:
    """``url`` without user info, and a Basic ``Authorization`` value for it (or ``None``)."""
    parts = urllib.parse.urlsplit(url)
    if parts.username is None and parts.password is None:
        return url, None
    user = urllib.parse.unquote(parts.username or "")
    password = urllib.parse.unquote(parts.password or "")
    token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    host = parts.netloc.rpartition("@")[2]
    return urllib.parse.urlunsplit(parts._replace(netloc=host)), f"Basic {token}"


def _read_file_page(page_url: str, project: str) -> list[IndexFile]:
    """A ``file://`` index: the project's ``index.html`` if present, else its directory."""
    path = Path(urllib.request.url2pathname(urllib.parse.urlsplit(page_url).path))
    if not path.is_dir():
        raise UpdateError(f"the index {mask_url(page_url)} has no project {project} (no directory)")
    index_html = path / "index.html"
    if index_html.is_file():
        return parse_html_listing(index_html.read_text(encoding="utf-8"), page_url, project)
    return [
        _make_file(
            entry.name,
            entry.resolve().as_uri(),
            project,
            yanked=False,
            requires_python="",
        )
        for entry in sorted(path.iterdir())
        if entry.is_file()
    ]


def fetch_project_files(
    index_url: str, project: str = DIST_NAME, *, timeout: float = 15.0
) -> list[IndexFile]:
    """List the files ``index_url`` holds for ``project``.

    Raises:
        UpdateError: one line naming the (masked) index and the reason: unreachable,
            HTTP error, no such project, or an unreadable page.
    """
    page_url = f"{index_url.rstrip('/')}/{canonicalize_name(project)}/"
    shown = mask_url(page_url)
    if urllib.parse.urlsplit(page_url).scheme == "file":
        return _read_file_page(page_url, project)
    bare_url, authorization = _split_credentials(page_url)
    request = urllib.request.Request(bare_url, headers={"Accept": _ACCEPT})
    request.add_header("User-Agent", f"gemini-live/{__version__} (update check)")
    if authorization is not None:
        request.add_header("Authorization", authorization)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read(_MAX_BYTES + 1)
            final_url = response.geturl()
            content_type = response.headers.get_content_type()
            charset = response.headers.get_content_charset() or "utf-8"
    except urllib.error.HTTPError as exc:
        if exc.code == 404:
            raise UpdateError(f"the index {shown} has no project {project} (HTTP 404)") from None
        raise UpdateError(f"the index {shown} answered HTTP {exc.code} {exc.reason}") from None
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        raise UpdateError(f"cannot reach the package index {shown}: {reason}") from None
    if len(body) > _MAX_BYTES:
        raise UpdateError(f"the index page {shown} is larger than {_MAX_BYTES} bytes")
    try:
        text = body.decode(charset)
    except (UnicodeDecodeError, LookupError) as exc:
        raise UpdateError(f"the index page {shown} is not text in {charset}") from exc
    if content_type.endswith("json"):
        return parse_json_listing(text, final_url, project)
    return parse_html_listing(text, final_url, project)


def _python_version() -> Version:
    return Version(platform.python_version())


def select_latest(
    files: Iterable[IndexFile],
    *,
    pre: bool = False,
    python_version: Version | None = None,
    supported_tags: Iterable[Tag] | None = None,
) -> Version | None:
    """The newest release among ``files`` that this interpreter could install.

    A release counts when it has at least one file that is not yanked, whose
    ``Requires-Python`` admits ``python_version`` and that is an sdist or a wheel with a tag
    in ``supported_tags``.  Pre-releases (and dev releases) count only with ``pre``.
    """
    py = python_version or _python_version()
    tags = frozenset(sys_tags() if supported_tags is None else supported_tags)
    best: Version | None = None
    for item in files:
        version = item.version
        if version is None or item.yanked:
            continue
        if version.is_prerelease and not pre:
            continue
        if item.requires_python:
            try:
                if py not in SpecifierSet(item.requires_python):
                    continue
            except InvalidSpecifier:
                continue
        if item.is_wheel and not (item.tags & tags):
            continue
        if best is None or version > best:
            best = version
    return best


def find_latest(
    index_url: str, *, pre: bool = False, project: str = DIST_NAME, timeout: float = 15.0
) -> Version | None:
    """The newest installable release of ``project`` on ``index_url`` (``None`` if none).

    Raises:
        UpdateError: when the index cannot be read.
    """
    return select_latest(fetch_project_files(index_url, project, timeout=timeout), pre=pre)
