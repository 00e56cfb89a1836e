"""The Whoosh index is a real jieba-analysed Whoosh index: plain Whoosh code opens and searches it."""

import pytest
from whoosh import index as whoosh_index
from whoosh.fields import TEXT
from whoosh.qparser import QueryParser

from indexer.engine import build as build_module
from indexer.engine import layout
from indexer.engine.search import ReportIndex
from indexer.text.normalize import KEPT_MARKS, normalize
from tests.conftest import REPORTS

WORDS = ["法治", "法律明白人", "调解", "宣传", "普法", "依法行政"]


@pytest.fixture(scope="module")
def chunked_index(tmp_path_factory, monkeypatch_module) -> ReportIndex:
    """The five reports built in chunks of 40 paragraphs: several segments, written by the worker processes."""
    monkeypatch_module.setattr(build_module, "CHUNK", 40)
    folder = tmp_path_factory.mktemp("chunked")
    build_module.build(REPORTS, folder)
    return ReportIndex.open(folder)


@pytest.fixture()
def one_segment_index(tmp_path, monkeypatch) -> ReportIndex:
    """The five reports in one chunk: one Whoosh segment, read without Whoosh's MultiReader."""
    monkeypatch.setattr(build_module, "CHUNK", 10_000)
    build_module.build(REPORTS, tmp_path)
    return ReportIndex.open(tmp_path)


@pytest.fixture(scope="module")
def generated_index(tmp_path_factory, monkeypatch_module) -> ReportIndex:
    """900 generated paragraphs in chunks of 300: common words fill several 128-posting blocks per segment."""
    from indexer.bench.corpus import generate, learn

    monkeypatch_module.setattr(build_module, "CHUNK", 300)
    folder = tmp_path_factory.mktemp("generated")
    build_module.build_index(generate(learn(REPORTS), 900, seed=5), folder)
    return ReportIndex.open(folder)


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as mp:
        yield mp


def jieba_words(index: ReportIndex, text: str) -> list[str]:
    return index.segmenter.words(normalize(text))


def plain_whoosh(index: ReportIndex):
    """The index's Whoosh folder opened the way any Whoosh program would."""
    return whoosh_index.open_dir(str(index.generation / layout.WHOOSH))


@pytest.mark.parametrize("word", WORDS)
def test_plain_whoosh_query_finds_the_paragraphs_holding_the_word(chunked_index, word):
    texts = [h.text for h in chunked_index.hits(list(range(len(chunked_index))))]
    expected = [pid for pid, t in enumerate(texts) if word in jieba_words(chunked_index, t)]
    ix = plain_whoosh(chunked_index)
    with ix.searcher() as searcher:
        query = QueryParser("words", ix.schema).parse(word)
        found = sorted(searcher.docs_for_query(query))
        assert found == expected
        assert expected, f"{word} should occur in the bundled reports"
        assert all(word in searcher.stored_fields(d)["text"] for d in found)


@pytest.mark.parametrize(
    "which, segments", [("chunked_index", 4), ("one_segment_index", 1)]
)  # 123 paragraphs in chunks of 40
def test_document_numbers_are_paragraph_ids_across_segments(which, segments, request):
    """Hits read stored fields from each segment directly; plain Whoosh reads the same by document number."""
    index = request.getfixturevalue(which)
    ix = plain_whoosh(index)
    assert len(ix._segments()) == segments
    with ix.searcher() as searcher:
        for pid, hit in enumerate(index.hits(list(range(len(index))))):
            stored = searcher.stored_fields(pid)
            assert (stored["report_id"], stored["paragraph"], stored["text"]) == (
                hit.report_id,
                hit.paragraph,
                hit.text,
            )


def test_metadata_fields_filter_in_plain_whoosh(chunked_index):
    ix = plain_whoosh(chunked_index)
    report = chunked_index.reports[0]
    township = report["township"]  # Whoosh keeps the names of the places
    with ix.searcher() as searcher:
        query = QueryParser("words", ix.schema).parse(f"法治 township:{township} year:{report['year']}")
        found = sorted(searcher.docs_for_query(query))
    expected = [
        h.pid
        for h in chunked_index.hits(list(range(len(chunked_index))))
        if h.township == township and h.year == report["year"] and "法治" in jieba_words(chunked_index, h.text)
    ]
    assert found == expected and expected


def test_a_phrase_of_words_does_not_span_a_clause_mark(tmp_path):
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "a.txt").write_text(
        "某某镇2023年法治政府建设工作报告\n一、主要工作\n我们推进法治，政府部门依法履职。\n我们推进法治政府建设。\n",
        encoding="utf-8",
    )
    build_module.build(tmp_path / "reports", tmp_path / "index")
    index = ReportIndex.open(tmp_path / "index")
    ix = plain_whoosh(index)
    texts = [h.text for h in index.hits(list(range(len(index))))]
    with ix.searcher() as searcher:
        found = [texts[d] for d in searcher.docs_for_query(QueryParser("words", ix.schema).parse('"推进 法治"'))]
        across = [texts[d] for d in searcher.docs_for_query(QueryParser("words", ix.schema).parse('"法治 政府部门"'))]
    assert sorted(found) == ["我们推进法治政府建设。", "我们推进法治，政府部门依法履职。"]
    assert across == []


@pytest.mark.parametrize("which", ["chunked_index", "generated_index"])
def test_segments_hold_what_whoosh_own_writer_writes(which, request, tmp_path):
    """Term by term, the postings (document, weight, positions), field lengths and stored
    fields equal those of Whoosh's SegmentWriter fed the same documents."""
    built = request.getfixturevalue(which)
    ix = plain_whoosh(built)
    reference = whoosh_index.create_in(str(tmp_path), ix.schema)
    writer = reference.writer()
    with ix.searcher() as searcher:
        for pid in range(len(built)):
            stored = searcher.stored_fields(pid)
            writer.add_document(words=stored["text"], **stored)
    writer.commit()
    blocks = 0
    with ix.reader() as got, reference.reader() as want:
        assert list(got.all_terms()) == list(want.all_terms())
        for field, term in want.all_terms():
            postings = [(m.id(), m.weight(), m.value()) for m in _walk(got.postings(field, term))]
            assert postings == [(m.id(), m.weight(), m.value()) for m in _walk(want.postings(field, term))]
            assert got.doc_frequency(field, term) == want.doc_frequency(field, term)
            assert got.frequency(field, term) == want.frequency(field, term)
            blocks += len(postings) > 128
        if which == "generated_index":
            assert blocks > 10  # words common enough to fill several blocks in one segment
        for pid in range(len(built)):
            assert got.doc_field_length(pid, "words") == want.doc_field_length(pid, "words")
            assert got.stored_fields(pid) == want.stored_fields(pid)


def _walk(matcher):
    while matcher.is_active():
        yield matcher
        matcher.next()


def test_the_words_field_uses_the_report_folder_user_dictionary(chunked_index):
    field = plain_whoosh(chunked_index).schema["words"]
    assert isinstance(field, TEXT)
    words = [t.text for t in field.analyzer("全面推行法律明白人培养工程。")]
    assert "法律明白人" in words and not set(words) & KEPT_MARKS


@pytest.mark.parametrize("which", ["chunked_index", "generated_index"])
def test_whoosh_term_postings_equal_the_word_arrays_single_word_matching_reads(which, request):
    """Whole-word matching of a one-word term reads the ranking's word arrays: they hold exactly
    the documents of each term of the Whoosh `words` field."""
    built = request.getfixturevalue(which)
    with built.whoosh_reader() as reader:
        terms = [t.decode("utf-8") for t in reader.lexicon("words")]
        assert len(terms) > 100
        for word in terms:
            whoosh_docs = [m.id() for m in _walk(reader.postings("words", word))]
            assert built.words.postings(word)[0].tolist() == whoosh_docs, word


def test_position_values_are_what_whoosh_positions_format_encodes():
    """Every posting's value equals the Positions format's own encoding: one position, several
    (gaps within a byte, the laid-out fast path), gaps over 255 and over 1,000 positions."""
    from indexer.engine.whoosh_index import _position_values, make_schema
    from indexer.engine.word_postings import chunk_postings

    tokens = [
        ["法治", ",", "建设", "法治"],
        ["调解"] * 3 + [","] * 300 + ["调解", "法治"],
        ["普法"] * 1200,
        ["依法", "行政", "依法"] + ["。"] * 70000 + ["依法"],
        [],
    ]
    words = chunk_postings(tokens)
    fmt = make_schema()["words"].format
    values = _position_values(words, fmt)
    expected = []
    for k in range(len(words.docs)):
        s = int(words.starts[k])
        expected.append(fmt.encode(words.positions[s : s + int(words.tfs[k])].tolist()))
    assert values == expected
    assert sorted(set(words.tfs.tolist())) == [1, 2, 3, 4, 1200]
