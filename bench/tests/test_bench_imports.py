"""Reading `python -X importtime` output: the tree, the totals per package, and who pulled a package in."""

from __future__ import annotations

from bench.imports import blame, by_package, parse, slowest_modules, top_imports

# Nested imports come first, indented, before the import that needed them.
SAMPLE = """\
import time: self [us] | cumulative | imported package
import time:       100 |        100 |     botocore.compat
import time:       400 |        500 |   botocore
import time:       200 |        700 | boto3
import time:        50 |         50 |     dns.resolver
import time:      1000 |       1050 |   email_validator
import time:       300 |       1350 | leadwire.reps
import time:        20 |         20 | json
some unrelated line
"""


def test_the_tree_is_rebuilt_with_each_import_under_the_one_that_needed_it() -> None:
    roots = parse(SAMPLE)
    assert [root.name for root in roots] == ["boto3", "leadwire.reps", "json"]
    assert [child.name for child in roots[0].children] == ["botocore"]
    assert roots[1].children[0].children[0].chain() == ["leadwire.reps", "email_validator", "dns.resolver"]


def test_time_per_package_sums_self_times() -> None:
    assert by_package(parse(SAMPLE), 3) == [("email_validator", 1.0), ("botocore", 0.5), ("leadwire", 0.3)]


def test_the_biggest_direct_imports_by_cumulative_time() -> None:
    assert top_imports(parse(SAMPLE), 2) == [("leadwire.reps", 1.4), ("boto3", 0.7)]


def test_blame_names_the_import_chain_that_paid_for_a_package() -> None:
    assert blame(parse(SAMPLE), ["email_validator", "aws_xray_sdk"]) == [
        {"package": "email_validator", "ms": 1.0, "pulled_in_by": "leadwire.reps → email_validator"}]


def test_the_slowest_modules_of_a_package() -> None:
    assert slowest_modules(parse(SAMPLE), "botocore") == [("botocore", 0.4), ("botocore.compat", 0.1)]
