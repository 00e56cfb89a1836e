"""The query language: a small syntax, and literal text for anything else."""

import pytest

from indexer.engine.query import MAX_QUERY_CHARS, QueryError, parse_query


@pytest.mark.parametrize(
    "text, groups, excluded",
    [
        ("法律明白人", [["法律明白人"]], []),
        ("法治 建设", [["法治"], ["建设"]], []),
        ("法治　建设", [["法治"], ["建设"]], []),  # ideographic space separates too
        ("普法 OR 宣传", [["普法", "宣传"]], []),
        ("普法 OR 宣传 OR 教育 队伍", [["普法", "宣传", "教育"], ["队伍"]], []),
        ("法治 -执法", [["法治"]], ["执法"]),
        ('"法律 明白人"', [["法律明白人"]], []),
        ('"普法 OR 宣传"', [["普法or宣传"]], []),
        ('"法律', [["法律"]], []),  # unbalanced quote is literal
        ("AND", [["and"]], []),
        ("OR", [["or"]], []),
        ("法治 OR", [["法治"], ["or"]], []),
        (":", [[":"]], []),
        ("法治 - 建设", [["法治"], ["建设"]], []),  # a lone - is ignored punctuation
        ('-"执法 队"  法治', [["法治"]], ["执法队"]),
    ],
)
def test_syntax(text, groups, excluded):
    query = parse_query(text)
    assert [list(g) for g in query.groups] == groups
    assert list(query.excluded) == excluded
    assert query.notice is None


@pytest.mark.parametrize("text", ["*", "-", "“”", "  ", "《》", "-法治", '"'])
def test_nothing_to_search_gives_a_notice_not_an_error(text):
    query = parse_query(text)
    assert query.groups == ()
    assert query.notice


def test_too_long_query_is_an_error():
    with pytest.raises(QueryError, match=f"limit is {MAX_QUERY_CHARS}"):
        parse_query("法" * (MAX_QUERY_CHARS + 1))


def test_too_many_terms_is_an_error():
    with pytest.raises(QueryError, match="more than"):
        parse_query(" ".join("法治"[i % 2] + str(i) for i in range(40)))
