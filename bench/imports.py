"""What a handler's imports cost, from `python -X importtime`: the biggest imports, and who pulls each one in.

importtime prints one line per module when its import finishes ("import time: self [us] | cumulative | name",
nested imports indented two spaces per level and printed before their parent), so the tree is rebuilt bottom-up.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_LINE = re.compile(r"^import time:\s+(\d+)\s+\|\s+(\d+)\s+\|( *)(\S+)\s*$")


@dataclass
class ImportNode:
    name: str
    self_us: int
    cumulative_us: int
    depth: int
    children: list[ImportNode] = field(default_factory=list)
    parent: ImportNode | None = None

    @property
    def package(self) -> str:
        return self.name.split(".", 1)[0]

    def chain(self) -> list[str]:
        """Who imported this, from the handler's own import down to this module."""
        names, node = [], self
        while node is not None:
            names.append(node.name)
            node = node.parent
        return names[::-1]


def parse(stderr: str) -> list[ImportNode]:
    """The top-level imports (the handler's own `import` statements), each with its subtree."""
    pending: list[ImportNode] = []
    for line in stderr.splitlines():
        found = _LINE.match(line)
        if not found:
            continue
        node = ImportNode(name=found.group(4), self_us=int(found.group(1)), cumulative_us=int(found.group(2)),
                          depth=len(found.group(3)) // 2)
        while pending and pending[-1].depth > node.depth:
            child = pending.pop()
            child.parent = node
            node.children.insert(0, child)
        pending.append(node)
    return pending


def walk(roots: list[ImportNode]) -> list[ImportNode]:
    found: list[ImportNode] = []
    stack = list(reversed(roots))
    while stack:
        node = stack.pop()
        found.append(node)
        stack.extend(reversed(node.children))
    return found


def by_package(roots: list[ImportNode], count: int = 10) -> list[tuple[str, float]]:
    """Milliseconds of import time per top-level package (self times summed), largest first."""
    totals: dict[str, int] = {}
    for node in walk(roots):
        totals[node.package] = totals.get(node.package, 0) + node.self_us
    return [(name, round(us / 1000, 1)) for name, us in sorted(totals.items(), key=lambda pair: -pair[1])[:count]]


def top_imports(roots: list[ImportNode], count: int = 10) -> list[tuple[str, float]]:
    """The handler's direct imports by cumulative milliseconds (each paid by whichever comes first)."""
    ranked = sorted(roots, key=lambda node: -node.cumulative_us)[:count]
    return [(node.name, round(node.cumulative_us / 1000, 1)) for node in ranked]


def first_import_of(roots: list[ImportNode], package: str) -> ImportNode | None:
    """The outermost import of `package` (the one that paid for it), or None when it is not imported."""
    for node in walk(roots):
        if node.package == package:
            return node
    return None


def blame(roots: list[ImportNode], packages: list[str]) -> list[dict[str, object]]:
    """For each package: what importing it cost (its modules' own times summed) and the chain of imports that
    first pulled it in, so a finding can say which line to make lazy."""
    totals = dict(by_package(roots, count=10_000))
    found = []
    for package in packages:
        node = first_import_of(roots, package)
        if node is not None:
            found.append({"package": package, "ms": totals.get(package, 0.0),
                          "pulled_in_by": " → ".join(node.chain())})
    return found


def slowest_modules(roots: list[ImportNode], package: str, count: int = 5) -> list[tuple[str, float]]:
    """A package's modules by their own import time (ms), slowest first."""
    nodes = [node for node in walk(roots) if node.package == package]
    return [(node.name, round(node.self_us / 1000, 1)) for node in sorted(nodes, key=lambda n: -n.self_us)[:count]]
