"""The report of an import: entries with file and line (relative in committed files), each
listed once, the share carried, and comment lines that stay comments."""

from __future__ import annotations

from pathlib import Path

from evalkit.importers.report import Origin, Report


def test_entries_are_listed_once_with_their_place(tmp_path: Path) -> None:
    report = Report()
    where = Origin(tmp_path / "cfg" / "promptfooconfig.yaml", 12)
    report.leave_out(where, "`webhook` assertion", "port it")
    report.leave_out(where, "`webhook` assertion", "port it")
    report.note(where.at(None), "a note")
    assert len(report.left_out) == 1 and len(report.notes) == 1
    assert report.left_out[0].text(tmp_path / "cfg") == (
        "promptfooconfig.yaml:12: `webhook` assertion; port it"
    )
    assert report.notes[0].line(tmp_path / "cfg") == "promptfooconfig.yaml:12: a note"
    elsewhere = Origin(Path("/elsewhere/x.yaml"), 3)
    assert elsewhere.relative(tmp_path) == "x.yaml:3"  # never a machine's absolute path


def test_the_share_carried_counts_assertions_as_written() -> None:
    report = Report()
    assert report.summary().startswith("0 of 0 assertions carried over (n/a)")
    for mapped in (True, True, False):
        report.assertion(mapped)
    assert report.share_mapped == 2 / 3
    assert report.summary() == (
        "2 of 3 assertions carried over (67%); 0 construct(s) left out, 0 note(s)"
    )


def test_comment_lines_stay_one_line_each(tmp_path: Path) -> None:
    report = Report()
    report.leave_out(Origin(tmp_path / "c.yaml", 2), "a\nmulti-line\nthing", "fix\nit")
    lines = report.comment_lines(tmp_path)
    assert all(line.startswith("#") and "\n" not in line for line in lines)
    assert "#   - c.yaml:2: a multi-line thing; fix it" in lines
