"""The diff3 merge behind update-service."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from marketplace_kit.scaffold.merge import merge3, split_lines

LINES = st.lists(st.sampled_from(["a\n", "b\n", "c\n", "\n", "d"]), max_size=12).map("".join)


def numbered(n: int) -> list[str]:
    return [f"line {k}\n" for k in range(n)]


@given(LINES, LINES, LINES)
def test_one_sided_changes_win_without_conflict(base: str, yours: str, template: str) -> None:
    assert merge3(base, base, template).text == template
    assert merge3(base, yours, base).text == yours
    assert merge3(base, yours, yours).text == yours
    result = merge3(base, yours, template)
    assert (result.conflicts == 0) == ("<<<<<<< yours\n" not in result.text)


@given(st.integers(6, 30), st.data())
def test_separate_edits_both_land(n: int, data: st.DataObject) -> None:
    base = numbered(n)
    i = data.draw(st.integers(0, n - 3))
    j = data.draw(st.integers(i + 2, n - 1))  # at least one untouched line between the edits
    yours, template, expected = list(base), list(base), list(base)
    yours[i] = expected[i] = "yours\n"
    template[j:j + 1] = expected[j:j + 1] = ["template 1\n", "template 2\n"]
    if data.draw(st.booleans()):  # a deletion instead of an edit
        del yours[i], expected[i]
    result = merge3("".join(base), "".join(yours), "".join(template))
    assert result.conflicts == 0 and result.text == "".join(expected)


@given(st.integers(3, 30), st.data())
def test_same_line_changed_differently_is_one_minimal_conflict(n: int, data: st.DataObject) -> None:
    base = numbered(n)
    i = data.draw(st.integers(0, n - 1))
    yours, template = list(base), list(base)
    yours[i], template[i] = "yours\n", "template\n"
    result = merge3("".join(base), "".join(yours), "".join(template))
    markers = ["<<<<<<< yours\n", "yours\n", "=======\n", "template\n", ">>>>>>> template\n"]
    expected = [*base[:i], *markers, *base[i + 1:]]
    assert result.conflicts == 1 and result.text == "".join(expected)


def test_common_lines_stay_outside_the_markers() -> None:
    result = merge3("x\n", "keep\nmine\nend\n", "keep\ntheirs\nend\n")
    assert result.text == "keep\n<<<<<<< yours\nmine\n=======\ntheirs\n>>>>>>> template\nend\n"


def test_a_last_line_without_newline_gets_one_before_a_marker() -> None:
    result = merge3("a\nb", "a\nB", "a\nC")
    assert result.text == "a\n<<<<<<< yours\nB\n=======\nC\n>>>>>>> template\n"
    assert merge3("a\nx\nb", "a\nx\nb\nc", "A\nx\nb").text == "A\nx\nb\nc"


def test_split_lines_keeps_every_character() -> None:
    text = "a\r\nb\n\nc"
    assert split_lines(text) == ["a\r\n", "b\n", "\n", "c"] and "".join(split_lines(text)) == text
