"""The table schema has one owner: outside the store package no product source builds a key, names an index or
writes a DynamoDB expression."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
STORE = ROOT / "layers" / "common" / "leadwire" / "store"
PRODUCT = [ROOT / "layers", ROOT / "functions", ROOT / "cli"]
KEY_PREFIXES = ["LEAD#", "EMAIL#", "PHONE#", "REF#", "REP#", "TL#", "EVT#", "DUE#", "DOMAIN#", "COUNTER#", "HOOK#",
                "DLV#", "SOURCE#", "PAGE#", "FORM#", "DAY#"]
KEY_WORDS = ["FUNNEL", "CONFIG", "JOB", "REPS", "HOOKS"]  # whole partition keys, as string literals
INDEX_NAMES = ["by_created", "by_owner", "due_shard"]
EXPRESSIONS = [r"attribute_(not_)?exists\(", r"if_not_exists\(", r"list_append\(", r"begins_with\(",
               r"#\w+ = :\w+", r"\bSET #", r"\bREMOVE #", r"ConditionExpression", r"KeyConditionExpression"]
PATTERN = re.compile("|".join([*(re.escape(prefix) for prefix in KEY_PREFIXES),
                               *(rf"[\"']{word}[\"']" for word in KEY_WORDS),
                               *(rf"[\"']{name}[\"']" for name in INDEX_NAMES), *EXPRESSIONS]))


def product_sources() -> list[Path]:
    return [path for folder in PRODUCT for path in folder.rglob("*.py")
            if STORE not in path.parents and "__pycache__" not in path.parts]


def test_the_scan_reads_the_product_sources():
    names = {path.relative_to(ROOT).as_posix() for path in product_sources()}
    assert "layers/common/leadwire/routing/assignment.py" in names and "functions/intake/app.py" in names


def test_no_key_index_or_expression_outside_the_store_package():
    found = [f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
             for path in product_sources()
             for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
             if PATTERN.search(line)]
    assert found == []


def test_the_scan_would_see_a_key_built_by_hand():
    assert PATTERN.search('key = {"pk": f"EMAIL#{email}", "sk": "KEY"}')
    assert PATTERN.search('update.when("attribute_not_exists(#owner)")')
    assert PATTERN.search('store.query_index("by_owner", ...)')
    assert PATTERN.search('store.get({"pk": "CONFIG", "sk": "CURRENT"})')
    assert not PATTERN.search("DEFAULT_CONFIG = Config.model_validate(DEFAULT_DOCUMENT)")
