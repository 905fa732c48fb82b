"""Each format's rows as a user's file gives them: checked one by one, the bad ones refused
with their line and reason, whatever encoding and separators the file was saved with."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from feedback.errors import Invalid
from feedback.imports import formats
from feedback.imports.rows import decode

DATA = Path(__file__).parent / "data"
MAPPING = {
    "time": "When",
    "external_id": "Customer",
    "email": "Mail",
    "score": "Rating",
    "comment": "Why",
    "kind": "Type",
}


def parse(format_name: str, name: str, mapping: dict[str, str] | None = None) -> formats.Parsed:
    return formats.parse(format_name, (DATA / name).read_bytes(), mapping)


def test_delighted_json_keeps_times_kinds_people_notes_and_tags() -> None:
    parsed = parse("delighted-json", "delighted.json")
    first = parsed.rows[0]
    assert first.client_id == "delighted:101"
    assert (first.kind, first.score, first.survey_name) == (
        "nps",
        3,
        "Imported from Delighted (NPS)",
    )
    assert first.submitted_at == datetime(2024, 1, 1, 12, 0)
    assert first.updated_at == datetime(2024, 1, 1, 13, 0)
    assert (first.person.email, first.person.name) == ("ana@example.com", "Ana Silva")
    assert first.context == {
        "Have you bought from us before?": "Yes",
        "Plan": "Pro",
        "team": "Billing",
        "Country": "PT",
    }
    assert [(n.text, n.author, n.at) for n in first.notes] == [
        ("Refunded the second charge.", "sam@example.com", datetime(2024, 1, 2, 13, 0))
    ]
    assert first.tags == ["billing", "Refund request"]
    assert [row.kind for row in parsed.rows] == ["nps", "nps", "nps", "ces"]


def test_delighted_json_refuses_bad_rows_with_their_line_and_reason() -> None:
    parsed = parse("delighted-json", "delighted.json")
    lines = (DATA / "delighted.json").read_text().splitlines()
    assert [(r.line, r.reason) for r in parsed.refused] == [
        (35, "score 6 out of range 1-5 for CSAT"),
        (63, "unreadable time in created_at: 'yesterday'"),
        (77, "wrong survey type 'thumbs': thumbs surveys have no scale here"),
        (105, "duplicate of line 21 (same response id)"),
        (119, "no person: neither an email address nor an id"),
    ]
    # Each line named is where that response's object starts in the file.
    assert all(lines[r.line - 1].strip() == "{" for r in parsed.refused)


def test_a_person_known_only_by_delighteds_id_is_kept_under_it() -> None:
    parsed = parse("delighted-json", "delighted.json")
    sms = next(row for row in parsed.rows if row.client_id == "delighted:104")
    assert (sms.person.external_id, sms.person.email) == ("delighted:9004", None)


def test_delighted_csv_from_excel_in_windows_1252_with_semicolons() -> None:
    parsed = parse("delighted-csv", "delighted-cp1252.csv")
    first, second = parsed.rows
    assert first.person.name == "José Núñez"
    # A quoted cell keeps its line break; Windows line ends become plain ones.
    assert first.comment == "Too expensive.\nThe renewal went up 30% — not ok."
    assert first.context == {"Plan": "Pro", "Company": "Café Ltd"}
    assert first.tags == ["pricing"]
    assert [n.text for n in first.notes] == ["Called him back"]
    assert second.submitted_at == datetime(2024, 2, 1, 12, 0)
    assert [(r.line, r.reason) for r in parsed.refused] == [
        (5, "no person: neither an email address nor an id"),
        (6, "score 11 out of range 0-10 for NPS"),
    ]


def test_zendesk_good_and_bad_are_the_ends_of_the_csat_scale_with_agent_and_team() -> None:
    parsed = parse("zendesk-csv", "zendesk-bom.csv")
    good, bad = parsed.rows
    assert (good.kind, good.score, bad.score) == ("csat", 5, 1)
    assert good.context == {"agent": "Sam Agent", "team": "Billing", "ticket_id": "88"}
    assert bad.context["reason"] == "Took too long"
    assert good.client_id == "zendesk:5001"
    assert [(r.line, r.reason) for r in parsed.refused] == [
        (4, "not rated: the survey was offered but not answered"),
        (5, "no person: neither an email address nor an id"),
        (6, "unreadable time in Created at: '03/05/2024 10:00'"),
    ]


def test_a_mapped_csv_reads_the_columns_it_is_told_and_keeps_the_rest_as_context() -> None:
    parsed = parse("csv", "mapped.csv", MAPPING)
    assert [(r.kind, r.score, r.person.external_id) for r in parsed.rows] == [
        ("nps", 9, "C-1"),
        ("csat", 4, "C-2"),
        ("psat", 5, "C-4"),
    ]
    assert parsed.rows[1].comment == 'Slow "export" button'
    assert parsed.rows[0].context == {"Region": "EU"}
    assert [(r.line, r.reason) for r in parsed.refused] == [
        (4, "score 12 out of range 0-10 for NPS"),
        (6, "wrong survey type 'survey': one of nps, csat, psat, ces"),
    ]


def test_a_mapped_csv_row_has_the_same_id_in_every_import() -> None:
    again = parse("csv", "mapped.csv", MAPPING)
    assert [r.client_id for r in parse("csv", "mapped.csv", MAPPING).rows] == [
        r.client_id for r in again.rows
    ]


def test_a_kind_can_be_named_for_every_row_of_a_mapped_csv() -> None:
    mapping = {**MAPPING, "kind": "nps"}
    parsed = parse("csv", "mapped.csv", mapping)
    assert [(row.line, row.kind) for row in parsed.rows] == [(n, "nps") for n in (2, 3, 5, 6)]
    assert [r.line for r in parsed.refused] == [4]  # 12 is beyond NPS's 0-10


@pytest.mark.parametrize(
    ("mapping", "message"),
    [
        ({"time": "When", "email": "Mail"}, "Map the score field"),
        ({"time": "When", "score": "Rating"}, "Map email or external_id"),
        ({**MAPPING, "colour": "Region"}, "Unknown field 'colour'"),
    ],
)
def test_a_mapping_that_cannot_work_is_refused_naming_the_field(
    mapping: dict[str, str], message: str
) -> None:
    with pytest.raises(Invalid) as refused:
        parse("csv", "mapped.csv", mapping)
    assert message in refused.value.message
    assert refused.value.field == "map"


def test_a_mapped_column_missing_from_the_file_is_named() -> None:
    with pytest.raises(Invalid, match="No column 'Stars'"):
        parse("csv", "mapped.csv", {**MAPPING, "score": "Stars"})


def test_a_file_that_is_not_a_json_array_is_refused_whole() -> None:
    with pytest.raises(Invalid, match="array of survey responses"):
        formats.parse("delighted-json", b'{"id": "1"}')


def test_text_is_read_whatever_excel_saved_it_as() -> None:
    assert decode("Zoë".encode("utf-16")) == "Zoë"
    assert decode(b"\xef\xbb\xbfZo\xc3\xab") == "Zoë"
    assert decode("Zoë".encode("cp1252")) == "Zoë"
