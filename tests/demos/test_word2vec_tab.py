import pytest

from demos import word2vec as tab
from tests.plots import figure_of

CORPUS = "\n".join(["犬と猫が庭で遊ぶ。", "猫と犬が部屋で眠る。", "東京と大阪へ行く。", "大阪と東京で働く。"] * 10)


def _explore(words, **settings):
    return tab.explore(CORPUS, words, None, False, True, 20, 2, settings.get("min_count", 2), 5,
                       settings.get("epochs", 3), 1, "skip-gram", True, 3)


def test_explore_gives_neighbours_and_one_labelled_point_per_word():
    rows, figure, note = _explore("犬 東京")
    assert {row[0] for row in rows} == {"犬", "東京"}
    assert all(-1.0 <= row[2] <= 1.0 for row in rows)
    labels = [label for trace in figure_of(figure)["data"] for label in trace["text"]]
    assert sorted(labels) == sorted(set(labels))  # one point per word
    assert {"犬", "東京"} <= set(labels) and {row[1] for row in rows} <= set(labels)
    assert note == ""


def test_unknown_word_is_reported_with_suggestions_and_the_rest_still_plots():
    rows, figure, note = _explore("犬 宇宙人")
    assert {row[0] for row in rows} == {"犬"}
    assert "宇宙人" in note and "not in the vocabulary" in note


def test_only_unknown_words_is_a_clear_error():
    with pytest.raises(Exception, match="not in the vocabulary"):
        _explore("宇宙人")


def test_blank_words_are_refused():
    with pytest.raises(Exception, match="Enter one or more words"):
        _explore("   ")


def test_skipgram_pairs_of_a_sentence():
    rows = tab.pairs("犬が走る", 1)
    assert rows == [["犬", "が"], ["が", "犬"], ["が", "走る"], ["走る", "が"]]


def test_analogy_and_export(tmp_path):
    results = tab.analogy(CORPUS, "犬", "猫", "東京", None, False, True, 20, 2, 2, 5, 3, 1, "skip-gram", True)
    assert results and all(len(row) == 2 for row in results)
    path = tab.export(CORPUS, None, False, True, 20, 2, 2, 5, 3, 1, "skip-gram", True)
    header, *lines = open(path, encoding="utf-8").read().splitlines()
    count, size = map(int, header.split())
    assert size == 20 and count == len(lines)
    assert {line.split()[0] for line in lines} >= {"犬", "猫", "東京", "大阪"}


def test_uploaded_shift_jis_file_trains(tmp_path):
    upload = tmp_path / "corpus.txt"
    upload.write_bytes(CORPUS.encode("cp932"))
    rows, _, _ = tab.explore("", "犬", str(upload), False, True, 20, 2, 2, 5, 3, 1, "skip-gram", True, 3)
    assert rows


def test_binary_upload_is_refused(tmp_path):
    upload = tmp_path / "image.txt"
    upload.write_bytes(b"\x89PNG\x00\x00\x01")
    with pytest.raises(Exception, match="text file"):
        tab.explore("", "犬", str(upload), False, True, 20, 2, 2, 5, 3, 1, "skip-gram", True, 3)


def test_what_a_search_trained_is_shown_as_the_train_button_would_show_it():
    import gradio as gr

    from models import word2vec as w2v

    # A setting no other test trains with (seed 7): not in the cache yet, so nothing to show.
    settings = (None, False, True, 20, 2, 2, 5, 3, 7, "skip-gram", True)
    w2v.CACHE.clear()
    assert all(isinstance(value, type(gr.skip())) for value in tab.training_shown(CORPUS, *settings))
    tab.explore(CORPUS, "犬", *settings, 3)  # trains the vectors for these settings
    status, figure = tab.training_shown(CORPUS, *settings)
    trained = w2v.already_trained(w2v.tokenize_corpus(CORPUS), tab._params(*settings[3:]))
    assert tab.TRAINED_BEFOREHAND in status and "入力した文章 / pasted text" in status
    assert f"語彙 {len(trained.vectors.index_to_key):,}" in status
    assert figure_of(figure)["data"][0]["y"] == trained.losses and len(trained.losses) == 3
    # Other settings were never trained: nothing is shown for them, and nothing trains.
    other = (*settings[:8], 8, *settings[9:])
    assert isinstance(tab.training_shown(CORPUS, *other)[0], type(gr.skip()))
    assert w2v.already_trained(w2v.tokenize_corpus(CORPUS), tab._params(*other[3:])) is None


@pytest.mark.parametrize("epochs", [1, 5, 10, 11, 30])
def test_loss_curve_has_one_point_per_epoch_and_whole_number_ticks(epochs):
    losses = [1000.0 / (epoch + 1) for epoch in range(epochs)]
    figure = figure_of(tab.loss_figure(losses))
    assert figure["data"][0]["x"] == list(range(1, epochs + 1)) and figure["data"][0]["y"] == losses
    tick = figure["layout"]["xaxis"]["dtick"]
    assert isinstance(tick, int) and 1 <= tick and epochs // tick <= 10  # never half epochs, never crowded


def test_a_corpus_box_with_only_invisible_characters_counts_as_empty():
    # Zero-width spaces or a BOM left from a paste: the default corpus, as for an empty box.
    assert tab._corpus_text("\u200b\ufeff\n \u2060", None)[1] == tab._corpus_text("", None)[1]
