"""The jieba tokenizer of the Whoosh `words` field follows Whoosh's calling convention."""

from indexer.text.words import JiebaAnalyzer, segmenter_for


def test_tokens_have_sequential_positions_and_a_clause_mark_keeps_its_position():
    tokens = [(t.text, t.pos) for t in JiebaAnalyzer()("法治建设，执法治理", positions=True)]
    assert tokens == [("法治", 0), ("建设", 1), ("执法", 3), ("治理", 4)]


def test_positions_start_at_start_pos_and_chars_refer_to_normalised_text():
    tokens = [
        (t.text, t.pos, t.startchar, t.endchar)
        for t in JiebaAnalyzer()("“法律”明白人", positions=True, chars=True, start_pos=5, start_char=10)
    ]
    assert tokens[0] == ("法律", 5, 10, 12)
    assert [t[1] for t in tokens] == sorted({t[1] for t in tokens}) and tokens[-1][1] < 5 + len("法律明白人")


def test_tokenize_false_yields_the_whole_normalised_value():
    assert [t.text for t in JiebaAnalyzer()("Ａ Ｂ", tokenize=False)] == ["ab"]


def test_word_of_a_substring_across_words_is_not_the_word():
    assert "法治" in segmenter_for(()).words("法治建设")
    assert "法治" not in segmenter_for(()).words("执法治理")
