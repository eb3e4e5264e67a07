"""The benchmark's table: aligned columns, readable quantities, and the access log line it prices."""

from __future__ import annotations

from bench.report import _quantity, columns
from bench.summary import access_log_line, lead_item_finding
from devtools.template import load_template


def test_columns_are_aligned_with_numbers_to_the_right() -> None:
    lines = columns([["intake", 1.5], ["assign", 12.25]], ["function", "ms"])
    assert lines == ["  function     ms",
                     "  --------  -----",
                     "  intake      1.5",
                     "  assign    12.25"]


def test_log_volume_reads_in_bytes() -> None:
    assert _quantity(3221 / 1024**3, "GB") == ("3,221", "bytes")
    assert _quantity(0.1, "invocation") == ("0.1", "invocation")


def test_the_access_log_line_follows_the_template_format() -> None:
    line = access_log_line(load_template())
    assert "$context" not in line
    assert '"routeKey":"POST /leads"' in line
    assert line.endswith("}\n")


def test_the_lead_item_finding_names_its_size_the_share_over_1_kb_and_the_heaviest_attributes() -> None:
    profile = {"items": 4, "median_bytes": 980, "max_bytes": 1063, "over_one_unit_share": 0.5,
               "heaviest_attributes": {"score_reasons": 123.5, "consent": 50.0}}
    finding, = lead_item_finding(profile)
    assert "median 980 bytes, largest 1063" in finding
    assert "50% are over 1 KB" in finding
    assert finding.endswith("score_reasons 123.5, consent 50")
    assert lead_item_finding({"items": 0}) == []
