"""The package-index reader: parsing, version choice, URL handling and clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from packaging.tags import Tag
from packaging.version import Version

from gemini_live_tui.errors import UpdateError
from gemini_live_tui.update.index import (
    DEFAULT_INDEX_URL,
    IndexFile,
    fetch_project_files,
    find_latest,
    mask_url,
    parse_html_listing,
    parse_json_listing,
    resolve_index_url,
    select_latest,
)
from tests.update.local_index import LocalIndex

PY311 = Version("3.11.7")
ANY = [Tag("py3", "none", "any")]

HTML = """<!DOCTYPE html><html><body>
<a href="../../files/gemini_live-0.1.0-py3-none-any.whl#sha256=ab">
gemini_live-0.1.0-py3-none-any.whl</a>
<a href="/files/gemini_live-0.2.0.tar.gz" data-requires-python="&gt;=3.11">
gemini_live-0.2.0.tar.gz</a>
<a href="https://cdn.example/gemini_live-0.3.0-py3-none-any.whl" data-yanked="">
gemini_live-0.3.0-py3-none-any.whl</a>
<a href="x/gemini_live-0.4.0-py3-none-any.whl" data-requires-python="&gt;=3.13">
gemini_live-0.4.0-py3-none-any.whl</a>
<a href="x/other_pkg-9.0-py3-none-any.whl">other_pkg-9.0-py3-none-any.whl</a>
<a href="x/gemini_live-0.5.0b1-py3-none-any.whl">gemini_live-0.5.0b1-py3-none-any.whl</a>
<a href="x/gemini_live-0.6.0-cp39-cp39-win_amd64.whl">gemini_live-0.6.0-cp39-cp39-win_amd64.whl</a>
<a href="x/not-a-distribution.txt">not-a-distribution.txt</a>
</body></html>"""


def _html_files() -> list[IndexFile]:
    return parse_html_listing(HTML, "https://idx.example/simple/gemini-live/")


def test_html_listing_resolves_links_and_reads_pep_592_and_503_attributes() -> None:
    files = {f.filename: f for f in _html_files()}
    first = files["gemini_live-0.1.0-py3-none-any.whl"]
    assert first.url == "https://idx.example/files/gemini_live-0.1.0-py3-none-any.whl#sha256=ab"
    assert first.version == Version("0.1.0")
    assert files["gemini_live-0.2.0.tar.gz"].requires_python == ">=3.11"
    assert files["gemini_live-0.3.0-py3-none-any.whl"].yanked
    assert files["other_pkg-9.0-py3-none-any.whl"].version is None
    assert files["not-a-distribution.txt"].version is None


def test_select_latest_skips_yanked_python_mismatch_foreign_tags_and_pre_releases() -> None:
    files = _html_files()
    assert select_latest(files, python_version=PY311, supported_tags=ANY) == Version("0.2.0")
    with_pre = select_latest(files, pre=True, python_version=PY311, supported_tags=ANY)
    assert with_pre == Version("0.5.0b1")
    on_313 = select_latest(files, python_version=Version("3.13.0"), supported_tags=ANY)
    assert on_313 == Version("0.4.0")
    windows = [*ANY, Tag("cp39", "cp39", "win_amd64")]
    assert select_latest(files, python_version=PY311, supported_tags=windows) == Version("0.6.0")
    assert select_latest([], python_version=PY311) is None


def test_versions_compare_by_pep_440_not_as_strings() -> None:
    names = [
        "gemini_live-0.9.0.tar.gz",
        "gemini_live-0.10.0.tar.gz",
        "gemini_live-0.10.0rc2.tar.gz",
    ]
    html = "".join(f'<a href="{n}">{n}</a>' for n in names)
    files = parse_html_listing(html, "https://idx.example/simple/gemini-live/")
    assert select_latest(files, python_version=PY311) == Version("0.10.0")


def test_json_listing_pep_691() -> None:
    body = json.dumps(
        {
            "meta": {"api-version": "1.1"},
            "name": "gemini-live",
            "files": [
                {"filename": "gemini_live-1.0.0-py3-none-any.whl", "url": "../../f/a.whl"},
                {"filename": "gemini_live-2.0.0.tar.gz", "url": "/f/b", "yanked": "broken"},
                {
                    "filename": "gemini-live-1.5.0.tar.gz",
                    "url": "https://x/c",
                    "requires-python": ">=3.11",
                },
            ],
        }
    )
    files = parse_json_listing(body, "https://idx.example/simple/gemini-live/")
    assert files[0].url == "https://idx.example/f/a.whl"
    assert files[1].yanked
    assert select_latest(files, python_version=PY311, supported_tags=ANY) == Version("1.5.0")


def test_json_that_is_not_pep_691_is_a_clear_error() -> None:
    with pytest.raises(UpdateError, match="not a PEP 691 page"):
        parse_json_listing('{"projects": []}', "https://idx.example/")


def test_mask_url_hides_user_and_password() -> None:
    assert mask_url("https://user:tok@host/simple") == "https://********@host/simple"
    assert mask_url("https://TOKEN@host:8080/simple") == "https://********@host:8080/simple"
    assert mask_url("https://host/simple") == "https://host/simple"


def test_resolve_index_url_order_and_validation() -> None:
    env = {"PIP_INDEX_URL": "https://env.example/simple"}
    assert resolve_index_url("https://flag.example/simple", env) == "https://flag.example/simple"
    assert resolve_index_url(None, env) == "https://env.example/simple"
    assert resolve_index_url(None, {}) == DEFAULT_INDEX_URL
    with pytest.raises(UpdateError) as info:
        resolve_index_url("ftp://u:secret@host/simple", {})
    assert "secret" not in str(info.value)
    assert "is not an http, https or file URL" in str(info.value)


def test_http_errors_are_one_line_with_the_masked_index() -> None:
    with LocalIndex(auth=("u", "hunter2")) as index:
        with pytest.raises(UpdateError) as info:
            fetch_project_files(index.url_with("u", "nope"))
        assert "answered HTTP 401" in str(info.value)
        assert "nope" not in str(info.value)
        index.add("gemini_live-3.0.0-py3-none-any.whl")
        assert find_latest(index.url_with("u", "hunter2")) == Version("3.0.0")
        with pytest.raises(UpdateError, match="has no project gemini-live-extra"):
            fetch_project_files(index.url_with("u", "hunter2"), "gemini-live-extra")


def test_html_is_used_when_the_index_does_not_speak_json() -> None:
    with LocalIndex(json_api=False) as index:
        index.add("gemini_live-1.0.0-py3-none-any.whl")
        assert find_latest(index.url) == Version("1.0.0")
    with LocalIndex(json_api=True) as index:
        index.add("gemini_live-1.0.0-py3-none-any.whl")
        assert find_latest(index.url) == Version("1.0.0")


def test_file_index_with_and_without_index_html(tmp_path: Path) -> None:
    project = tmp_path / "simple" / "gemini-live"
    project.mkdir(parents=True)
    (project / "gemini_live-1.2.0-py3-none-any.whl").write_bytes(b"")
    url = (tmp_path / "simple").as_uri()
    assert find_latest(url) == Version("1.2.0")
    (project / "index.html").write_text('<a href="x.whl">gemini_live-1.3.0-py3-none-any.whl</a>')
    assert find_latest(url) == Version("1.3.0")
    with pytest.raises(UpdateError, match="has no project"):
        find_latest((tmp_path / "nowhere").as_uri())
