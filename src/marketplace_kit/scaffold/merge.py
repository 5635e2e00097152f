"""A line-based three-way merge (diff3), in pure Python.

``merge3(base, yours, template)`` aligns both sides with the base (difflib, no junk heuristic),
walks the stable regions (lines unchanged on both sides) and resolves each region between them:
changed on one side only -> that side; changed identically on both -> once; changed differently
-> a conflict, written with git-style markers around the smallest differing block (lines both
sides share at the start or end of a conflict are kept outside the markers).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from dataclasses import dataclass

YOURS_MARKER = "<<<<<<< yours\n"
SPLIT_MARKER = "=======\n"
TEMPLATE_MARKER = ">>>>>>> template\n"
_LINE = re.compile(r"[^\n]*\n|[^\n]+\Z")


@dataclass(frozen=True)
class MergeResult:
    """The merged text and how many conflicts it marks."""

    text: str
    conflicts: int


def split_lines(text: str) -> list[str]:
    """Lines with their ``\\n`` (only ``\\n`` splits; the last line may lack it)."""
    return _LINE.findall(text)


def _matches(base: Sequence[str], other: Sequence[str]) -> dict[int, int]:
    """Base line index -> the index of the same line in ``other``, along a common subsequence."""
    matcher = difflib.SequenceMatcher(None, base, other, autojunk=False)
    pairs: dict[int, int] = {}
    for block in matcher.get_matching_blocks():
        for k in range(block.size):
            pairs[block.a + k] = block.b + k
    return pairs


def _chunks(
    base: Sequence[str], ours: Sequence[str], theirs: Sequence[str]
) -> list[tuple[Sequence[str], Sequence[str], Sequence[str]]]:
    """Split the three sequences into alternating stable/unstable chunks (base, ours, theirs)."""
    to_ours, to_theirs = _matches(base, ours), _matches(base, theirs)
    chunks: list[tuple[Sequence[str], Sequence[str], Sequence[str]]] = []
    o = a = b = 0
    while o < len(base) or a < len(ours) or b < len(theirs):
        n = 0
        while o + n < len(base) and to_ours.get(o + n) == a + n and to_theirs.get(o + n) == b + n:
            n += 1
        if n:
            chunks.append((base[o:o + n], ours[a:a + n], theirs[b:b + n]))
            o, a, b = o + n, a + n, b + n
            continue
        nxt = next((j for j in range(o, len(base)) if j in to_ours and j in to_theirs), None)
        if nxt is None:
            chunks.append((base[o:], ours[a:], theirs[b:]))
            break
        chunks.append((base[o:nxt], ours[a:to_ours[nxt]], theirs[b:to_theirs[nxt]]))
        o, a, b = nxt, to_ours[nxt], to_theirs[nxt]
    return chunks


def _terminated(lines: Sequence[str]) -> list[str]:
    out = list(lines)
    if out and not out[-1].endswith("\n"):
        out[-1] += "\n"
    return out


def _conflict(ours: Sequence[str], theirs: Sequence[str]) -> list[str]:
    head = 0
    while head < min(len(ours), len(theirs)) and ours[head] == theirs[head]:
        head += 1
    tail = 0
    while (tail < min(len(ours), len(theirs)) - head
           and ours[len(ours) - 1 - tail] == theirs[len(theirs) - 1 - tail]):
        tail += 1
    mine, template = ours[head:len(ours) - tail], theirs[head:len(theirs) - tail]
    return [
        *ours[:head],
        YOURS_MARKER, *_terminated(mine), SPLIT_MARKER, *_terminated(template), TEMPLATE_MARKER,
        *ours[len(ours) - tail:],
    ]


def merge3(base: str, yours: str, template: str) -> MergeResult:
    """Merge the template's changes (base -> template) into ``yours``."""
    if yours in (base, template):
        return MergeResult(template, 0)
    if template == base:
        return MergeResult(yours, 0)
    out: list[str] = []
    conflicts = 0
    for o, a, b in _chunks(split_lines(base), split_lines(yours), split_lines(template)):
        if a in (o, b):
            out.extend(b)
        elif b == o:
            out.extend(a)
        else:
            out.extend(_conflict(a, b))
            conflicts += 1
    return MergeResult("".join(out), conflicts)
