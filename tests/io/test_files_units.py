"""io/files.py's rules one at a time: names that become paths (checked, slugged, kept inside
their folder), text read as UTF-8 or refused at its line, bounded reads, whole-or-nothing
writes, and an append-only log whose records stay whole lines."""

from __future__ import annotations

import os
import random
import re
from pathlib import Path

import pytest

from evalkit.errors import ConfigError
from evalkit.io.files import (
    SLUG_MAX,
    AppendLog,
    atomic_write,
    inside,
    is_regular,
    read_bytes,
    read_text,
    resolved,
    safe_name,
    slug,
)

SAFE = re.compile(r"^[A-Za-z0-9_.-]+$")


# -- slug ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["refund-01", "a.b_c", "X" * SLUG_MAX])
def test_a_safe_short_name_is_its_own_slug(text: str) -> None:
    assert slug(text) == text


@pytest.mark.parametrize("text", ["a/b", "../etc", "a b", "ünï", "", "...", "x" * (SLUG_MAX + 1)])
def test_a_changed_name_gets_a_hash_so_it_stays_distinct(text: str) -> None:
    out = slug(text)
    assert out != text and SAFE.match(out)
    assert re.search(r"-[0-9a-f]{8}$", out)
    assert ".." not in out.split("/") and "/" not in out


def test_slugs_are_safe_bounded_and_distinct_for_random_names() -> None:
    rng = random.Random(1234)
    alphabet = "aZ9_-./ \\:é😀\x00\n"
    seen: dict[str, str] = {}
    for _ in range(2000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 120)))
        out = slug(text)
        assert SAFE.match(out) and not out.startswith((".", "-")) and len(out) <= SLUG_MAX + 9
        assert seen.setdefault(out, text) == text, f"{text!r} and {seen[out]!r} share {out}"


def test_a_short_slug_is_a_fixed_point() -> None:
    rng = random.Random(5)
    for _ in range(300):
        text = "".join(rng.choice("ab/ .-") for _ in range(rng.randrange(1, 30)))
        once = slug(text)
        assert slug(once) == once


# -- safe_name and inside -------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["run-1", "a", "A.b_c-9", "9lives", "x" * 128])
def test_a_plain_name_is_kept_as_given(name: str) -> None:
    assert safe_name(name, "run id") == name


@pytest.mark.parametrize(
    "name", ["", ".", "..", "-dash", ".hidden", "a/b", "a\\b", "a b", "x" * 129, "é", "a\nb"]
)
def test_a_name_that_is_not_one_plain_component_is_refused(name: str) -> None:
    with pytest.raises(ConfigError) as raised:
        safe_name(name, "run id")
    message = str(raised.value)
    assert message.startswith(f"run id {name!r} cannot be used as a folder name")
    assert "\n" not in message.replace(repr(name), "")


def test_a_name_ending_in_a_newline_is_refused() -> None:
    with pytest.raises(ConfigError):
        safe_name("run-1\n", "run id")


def test_a_name_that_is_not_a_string_is_refused() -> None:
    with pytest.raises(ConfigError):
        safe_name(3, "suite")  # type: ignore[arg-type]


def test_inside_accepts_the_folder_and_what_is_under_it(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    assert inside(tmp_path, tmp_path) == tmp_path.resolve()
    assert inside(tmp_path, tmp_path / "a" / "b" / "c.txt") == (tmp_path / "a/b/c.txt").resolve()
    assert inside(tmp_path / "a", tmp_path / "a" / ".." / "a" / "x") == (tmp_path / "a/x").resolve()


@pytest.mark.parametrize("escape", ["../x", "a/../../x", "/etc/passwd"])
def test_inside_refuses_what_leaves_the_folder(tmp_path: Path, escape: str) -> None:
    (tmp_path / "root" / "a").mkdir(parents=True)
    with pytest.raises(ConfigError, match=r"is outside .*: keep it inside that folder"):
        inside(tmp_path / "root", tmp_path / "root" / escape, "labels")


def test_a_sibling_with_the_folders_name_as_prefix_is_outside(tmp_path: Path) -> None:
    (tmp_path / "root").mkdir()
    (tmp_path / "rootless").mkdir()
    with pytest.raises(ConfigError):
        inside(tmp_path / "root", tmp_path / "rootless" / "x")


def test_a_link_out_of_the_folder_is_outside(tmp_path: Path) -> None:
    (tmp_path / "root").mkdir()
    (tmp_path / "secret").write_text("x")
    (tmp_path / "root" / "link").symlink_to(tmp_path / "secret")
    with pytest.raises(ConfigError):
        inside(tmp_path / "root", tmp_path / "root" / "link")


def test_resolving_a_symlink_loop_names_it(tmp_path: Path) -> None:
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    with pytest.raises(ConfigError, match="symlink loop"):
        resolved(loop / "x", "suites folder")


# -- reading ------------------------------------------------------------------------------------


def test_is_regular_tells_a_file_from_nothing_and_a_folder(tmp_path: Path) -> None:
    (tmp_path / "f").write_text("x")
    assert is_regular(tmp_path / "f")
    assert not is_regular(tmp_path)
    assert not is_regular(tmp_path / "missing")


def test_a_read_over_its_limit_is_refused_and_at_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"x" * 100)
    assert read_bytes(path, limit=100) == b"x" * 100
    with pytest.raises(ConfigError, match="cannot read results: larger than 99 bytes"):
        read_bytes(path, "results", limit=99)


def test_a_missing_file_is_a_config_error_naming_what_it_is(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read suite:"):
        read_text(tmp_path / "nope.yaml", "suite")


def test_text_loses_a_byte_order_mark_and_keeps_its_line_endings(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"\xef\xbb\xbfa\r\nb\n")
    assert read_text(path) == "a\r\nb\n"


@pytest.mark.parametrize(("data", "line"), [(b"\xff", 1), (b"ok\nok\n\xc3(", 3), (b"a\n\n\xe9", 3)])
def test_text_that_is_not_utf8_is_refused_at_its_line(
    tmp_path: Path, data: bytes, line: int
) -> None:
    path = tmp_path / "f.yaml"
    path.write_bytes(data)
    with pytest.raises(ConfigError) as raised:
        read_text(path, "suite")
    assert raised.value.line == line and "save the suite as UTF-8" in raised.value.message


# -- writing --------------------------------------------------------------------------------------


def test_atomic_write_replaces_whole_and_leaves_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "f.json"
    atomic_write(path, "one\n")
    atomic_write(path, "two\n")
    assert path.read_text() == "two\n"
    assert sorted(p.name for p in path.parent.iterdir()) == ["f.json"]


def test_atomic_write_writes_unix_newlines_and_utf8(tmp_path: Path) -> None:
    path = tmp_path / "f"
    atomic_write(path, "é\n")
    assert path.read_bytes() == "é\n".encode()


def test_a_refused_write_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    path = tmp_path / "f.txt"
    path.write_text("old")
    with pytest.raises(UnicodeEncodeError):
        atomic_write(path, "half \ud800 surrogate")  # cannot be encoded: fails mid-write
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.txt"]


def test_a_file_where_the_folder_should_be_is_an_oserror(tmp_path: Path) -> None:
    (tmp_path / "blocker").write_text("x")
    with pytest.raises(OSError):
        atomic_write(tmp_path / "blocker" / "f.txt", "x")


# -- AppendLog -----------------------------------------------------------------------------------


def test_each_record_is_one_line(tmp_path: Path) -> None:
    log = AppendLog(tmp_path / "runs" / "results.jsonl")
    log.write('{"a": 1}')
    log.write("two\nlines")
    log.close()
    assert (tmp_path / "runs" / "results.jsonl").read_text() == '{"a": 1}\ntwo lines\n'


def test_a_torn_last_line_is_closed_before_the_next_record(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    path.write_bytes(b'{"whole": 1}\n{"torn": ')
    log = AppendLog(path)
    log.write('{"next": 2}')
    log.close()
    assert path.read_text().splitlines() == ['{"whole": 1}', '{"torn": ', '{"next": 2}']


def test_reopening_a_clean_log_adds_no_blank_line(tmp_path: Path) -> None:
    path = tmp_path / "results.jsonl"
    for i in range(3):
        log = AppendLog(path)
        log.write(str(i))
        log.close()
    assert path.read_text() == "0\n1\n2\n"
    empty = tmp_path / "empty.jsonl"
    empty.touch()
    log = AppendLog(empty)
    log.write("x")
    log.close()
    assert empty.read_text() == "x\n"


def test_random_records_read_back_one_per_line(tmp_path: Path) -> None:
    rng = random.Random(77)
    path = tmp_path / "log"
    log = AppendLog(path)
    written = []
    for _ in range(200):
        record = "".join(rng.choice("ab\n é{}") for _ in range(rng.randrange(0, 30)))
        log.write(record)
        written.append(record.replace("\n", " "))
    log.close()
    assert path.read_text(encoding="utf-8").split("\n")[:-1] == written
    assert os.path.getsize(path) == sum(len(w.encode()) + 1 for w in written)
