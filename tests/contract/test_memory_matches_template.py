"""The fake hard-codes the table's indexes; they must be the ones template.yaml declares."""

from __future__ import annotations

from devtools.template import load_template
from leadwire.store.memory import INDEXES, TABLE_KEYS


def test_memory_indexes_are_the_templates() -> None:
    declared = load_template().table_create_kwargs()
    assert [key["AttributeName"] for key in declared["KeySchema"]] == list(TABLE_KEYS)
    for index in declared["GlobalSecondaryIndexes"]:
        fake = INDEXES[index["IndexName"]]
        assert [key["AttributeName"] for key in index["KeySchema"]] == [fake.hash_key, fake.range_key]
        projection = index["Projection"]
        if projection["ProjectionType"] == "KEYS_ONLY":
            assert fake.projected == ()
        else:
            assert projection["ProjectionType"] == "INCLUDE"
            assert sorted(projection["NonKeyAttributes"]) == sorted(fake.projected)
    assert set(INDEXES) == {index["IndexName"] for index in declared["GlobalSecondaryIndexes"]}
