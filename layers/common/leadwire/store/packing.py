"""Values kept in the table as compressed bytes: an outbox intent's messages, a submission kept whole.

DynamoDB bills a write unit for every kilobyte of an item (two in a transaction) and rounds each item up, so an
intent that is 1.1 KB costs as much as one of 2 KB. Compressing one small value alone saves little, because most of
it is words deflate has not seen yet; a preset dictionary (sample emails and a sample submission, the words our
values are made of) gives it those words in advance.

A dictionary can never change once values packed with it may be stored: `leadwire/data/pack-<n>.zdict` files are
only ever added. Every zlib stream names the Adler-32 of its dictionary, so `unpack` finds the one it needs, and
reads values packed without a dictionary (all of them before `pack-1`) as they are. `devtools/pack_dictionary.py`
wrote `pack-1.zdict`; `CURRENT` names the dictionary new values are packed with.
"""

from __future__ import annotations

import json
import zlib
from functools import cache
from importlib.resources import files
from typing import Any

CURRENT = "pack-1.zdict"
_FDICT = 0x20  # zlib header: a preset dictionary's Adler-32 follows the two header bytes


class UnknownDictionary(ValueError):
    """A value packed with a dictionary this code does not have (written by a newer version of leadwire)."""


@cache
def _shipped() -> dict[str, bytes]:
    """Every dictionary leadwire has shipped, by file name."""
    return {entry.name: entry.read_bytes() for entry in (files("leadwire") / "data").iterdir()
            if entry.name.startswith("pack-") and entry.name.endswith(".zdict")}


@cache
def dictionaries() -> dict[int, bytes]:
    """The same, by Adler-32 (the id a zlib stream carries)."""
    return {zlib.adler32(dictionary): dictionary for dictionary in _shipped().values()}


def pack(value: Any) -> bytes:
    """`value` as compact JSON, deflated with the current dictionary."""
    packer = zlib.compressobj(9, zdict=_shipped()[CURRENT])
    return packer.compress(json.dumps(value, separators=(",", ":")).encode()) + packer.flush()


def unpack(packed: bytes | bytearray) -> Any:
    """What `pack` was given, whichever dictionary (or none) packed it."""
    data = bytes(packed)
    if len(data) < 6 or not data[1] & _FDICT:
        return json.loads(zlib.decompress(data))
    dictionary_id = int.from_bytes(data[2:6], "big")
    dictionary = dictionaries().get(dictionary_id)
    if dictionary is None:
        raise UnknownDictionary(f"packed with dictionary {dictionary_id:08x}, which this version does not have")
    unpacker = zlib.decompressobj(zdict=dictionary)
    return json.loads(unpacker.decompress(data) + unpacker.flush())
