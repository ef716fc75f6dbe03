"""The book's corpora for word2vec (models/book_corpora.py): read with `datasets` from local folders
and from the Hugging Face cache, capped, with progress, and failing fast and readably without them.

No test reaches the Hub: the corpora are small folders written here, with the books' field names
(livedoor: url, date, title, content, category; jawiki-sentences: text), in the layouts the Hub and
`datasets` use.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from models import book_corpora, hub, word2vec
from models.book_corpora import CORPORA, PARQUET_EXPORT, CorpusLoadError, load_corpus_text
from tests.conftest import REPO
from tests.models.test_hub import closed_port, point_at

JAWIKI_ID = CORPORA["JAWIKI"].hub_id


# --- corpus folders, written here (no fixtures/tiny.py) ---------------------------------------------

def livedoor_rows(count: int, start: int = 0) -> list[dict[str, str]]:
    """Articles as llm-book/livedoor-news-corpus gives them: a title and a body of several lines."""
    return [{
        "url": f"http://news.livedoor.com/article/detail/{i}/",
        "date": "2012-09-01T12:00:00+0900",
        "title": f"記事{i}の見出し",
        "content": f"東京で新しいＰＣが発表された。価格は{i}円だという！\n詳しくは以下のリンクから。\n"
                   f"http://example.jp/{i}\n「面白い」と話題だ",
        "category": "it-life-hack",
    } for i in range(start, start + count)]


def jawiki_rows(count: int) -> list[dict[str, str]]:
    """Sentences as llm-book/jawiki-sentences gives them: one a row, an empty row after each article."""
    rows = []
    for i in range(count):
        rows.append({"text": f"文{i}は日本語の文である。"})
        if i % 5 == 4:
            rows.append({"text": ""})
    return rows


def write_parquet(path: Path, rows: list[dict[str, str]], row_group_size: int = 500) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), path, row_group_size=row_group_size)
    return path


def write_jsonl(path: Path, rows: list[dict[str, str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    return path


def parquet_export(folder: Path, rows: list[dict[str, str]], shards: int = 1) -> Path:
    """A folder laid out as the Hub's Parquet export branch: default/train/0000.parquet, …"""
    size = -(-len(rows) // shards)
    for shard in range(shards):
        write_parquet(folder / "default" / "train" / f"{shard:04d}.parquet", rows[shard * size:(shard + 1) * size])
    return folder


def fake_dataset_cache(base: Path, repo_id: str, revision: str, folder: Path) -> Path:
    """A Hugging Face cache holding a dataset repository's files at a revision, as huggingface_hub lays it out."""
    cache = base / "hub-cache"
    repo = cache / ("datasets--" + repo_id.replace("/", "--"))
    commit = hashlib.sha1(revision.encode()).hexdigest()  # one snapshot folder per revision
    shutil.copytree(folder, repo / "snapshots" / commit, dirs_exist_ok=True)
    ref = repo / "refs" / revision
    ref.parent.mkdir(parents=True, exist_ok=True)
    ref.write_text(commit)
    return cache


@pytest.fixture(autouse=True)
def fresh(monkeypatch):
    for spec in CORPORA.values():
        monkeypatch.delenv(spec.env_var, raising=False)
    monkeypatch.delenv("HF_DATASETS_OFFLINE", raising=False)
    book_corpora.forget()
    yield
    book_corpora.forget()


@pytest.fixture
def empty_cache(monkeypatch, tmp_path):
    from huggingface_hub import constants

    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "empty-cache"))


# --- reading -------------------------------------------------------------------------------------------

def test_livedoor_gives_titles_and_sentences_one_per_line(monkeypatch, tmp_path):
    folder = tmp_path / "livedoor"
    write_jsonl(folder / "train.jsonl", livedoor_rows(3))
    write_jsonl(folder / "test.jsonl", [{"title": "テストの記事", "content": "読まれない。"}])
    monkeypatch.setenv("JNLP_DATASET_LIVEDOOR", str(folder))
    corpus = load_corpus_text("LIVEDOOR")
    lines = corpus.text.splitlines()
    assert lines[:5] == ["記事0の見出し", "東京で新しいPCが発表された。", "価格は0円だという!", "詳しくは以下のリンクから。",
                         "「面白い」と話題だ"]  # NFKC, split at 。!?, the URL line dropped
    assert len(lines) == corpus.sentences == 15 and not corpus.capped
    assert "テストの記事" not in corpus.text  # the train split only
    assert corpus.source == str(folder) and corpus.revision is None
    # The form word2vec reads: MeCab tokenises each line as a sentence.
    sentences = word2vec.tokenize_corpus(corpus.text)
    assert len(sentences) == 15 and "東京" in sentences[1] and "PC" in sentences[1]
    assert corpus.description == (f"livedoor ニュースコーパス（15 文、{folder}） / "
                                  f"livedoor news corpus (15 sentences, {folder})")


def test_jawiki_reads_the_parquet_export_layout_and_skips_empty_rows(monkeypatch, tmp_path):
    folder = parquet_export(tmp_path / "jawiki", jawiki_rows(40), shards=2)
    write_parquet(folder / "default" / "validation" / "0000.parquet", [{"text": "別の分割の文。"}])
    monkeypatch.setenv("JNLP_DATASET_JAWIKI", str(folder))
    corpus = load_corpus_text("JAWIKI")
    assert corpus.text.splitlines() == [f"文{i}は日本語の文である。" for i in range(40)]
    assert corpus.characters == sum(len(line) for line in corpus.text.splitlines())


def test_the_registered_caps_bound_what_is_read(monkeypatch, tmp_path):
    spec = CORPORA["JAWIKI"]
    monkeypatch.setenv(spec.env_var, str(parquet_export(tmp_path / "big", jawiki_rows(spec.max_sentences + 500))))
    corpus = load_corpus_text("JAWIKI")
    assert corpus.sentences == spec.max_sentences and corpus.capped
    assert corpus.text.splitlines()[-1] == f"文{spec.max_sentences - 1}は日本語の文である。"
    assert f"{spec.max_sentences:,} 文・上限" in corpus.description
    assert f"({spec.max_sentences:,} sentences, capped, " in corpus.description


def test_the_character_cap_stops_before_the_sentence_that_would_pass_it(tmp_path):
    spec = dataclasses.replace(CORPORA["JAWIKI"], max_chars=100)
    folder = parquet_export(tmp_path / "wiki", [{"text": "あ" * 29 + "。"} for _ in range(10)])
    corpus = book_corpora.read_corpus(spec, str(folder))
    assert corpus.sentences == 3 and corpus.characters == 90 and corpus.capped


def test_progress_is_reported_from_start_to_end(monkeypatch, tmp_path):
    monkeypatch.setenv("JNLP_DATASET_JAWIKI", str(parquet_export(tmp_path / "wiki", jawiki_rows(3000))))
    calls = []
    corpus = load_corpus_text("JAWIKI", progress=lambda fraction, text: calls.append((fraction, text)))
    fractions = [fraction for fraction, _ in calls]
    assert fractions[0] == 0.0 and fractions[-1] == 1.0 and len(calls) >= 4  # preparing, batches read, done
    assert fractions == sorted(fractions) and all(0.0 <= f <= 1.0 for f in fractions)
    assert all(" / " in text for _, text in calls)  # Japanese, then English
    assert calls[-1][1] == corpus.description
    # Read once: a later request is answered from memory, and says so at once.
    again = []
    assert load_corpus_text("JAWIKI", progress=lambda fraction, text: again.append((fraction, text))) is corpus
    assert again == [(1.0, corpus.description)]


def test_requests_that_arrive_together_read_the_corpus_once(monkeypatch, tmp_path):
    monkeypatch.setenv("JNLP_DATASET_JAWIKI", str(parquet_export(tmp_path / "wiki", jawiki_rows(100))))
    reads = []
    real_read = book_corpora.read_corpus

    def slow_read(*args, **kwargs):
        reads.append(args)
        time.sleep(0.3)  # widen the window in which a second read could start
        return real_read(*args, **kwargs)

    monkeypatch.setattr(book_corpora, "read_corpus", slow_read)
    results = []
    threads = [threading.Thread(target=lambda: results.append(load_corpus_text("JAWIKI"))) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(reads) == 1
    assert len(results) == 6 and all(result is results[0] for result in results)


def test_a_changed_override_reads_the_new_folder(monkeypatch, tmp_path):
    for folder, articles in (("a", 1), ("b", 2)):
        write_jsonl(tmp_path / folder / "train.jsonl", livedoor_rows(articles))
        monkeypatch.setenv("JNLP_DATASET_LIVEDOOR", str(tmp_path / folder))
        assert load_corpus_text("LIVEDOOR").sentences == 5 * articles


def test_folders_of_text_files_and_of_save_to_disk_are_read(monkeypatch, tmp_path):
    import datasets

    (tmp_path / "txt").mkdir()
    (tmp_path / "txt" / "news.txt").write_text("一行目の文。二つ目の文。\n\n三行目の文。\n", encoding="utf-8")
    monkeypatch.setenv("JNLP_DATASET_LIVEDOOR", str(tmp_path / "txt"))  # no title/content: its "text" is used
    assert load_corpus_text("LIVEDOOR").text.splitlines() == ["一行目の文。", "二つ目の文。", "三行目の文。"]

    # What datasets 3.6, which still runs the book's loading scripts, can write for an offline machine.
    saved = datasets.DatasetDict({"train": datasets.Dataset.from_list(livedoor_rows(2)),
                                  "test": datasets.Dataset.from_list(livedoor_rows(1, start=9))})
    saved.save_to_disk(tmp_path / "saved")
    monkeypatch.setenv("JNLP_DATASET_LIVEDOOR", str(tmp_path / "saved"))
    corpus = load_corpus_text("LIVEDOOR")
    assert corpus.sentences == 10 and "記事9の見出し" not in corpus.text


# --- failures ------------------------------------------------------------------------------------------

def assert_bilingual(message: str, *names: str) -> None:
    lines = message.splitlines()
    assert len(lines) == 4  # which corpus and why, then what to do: in Japanese, then in English
    japanese, english = "\n".join(lines[:2]), "\n".join(lines[2:])
    assert english.startswith("Could not load the corpus ")
    assert japanese.startswith("コーパス「") and "読み込めませんでした" in japanese
    for name in names:
        assert name in japanese and name in english
    assert "Traceback" not in message and len(message) < 700


def test_a_missing_folder_names_it_and_the_setting(monkeypatch, tmp_path):
    missing = tmp_path / "not-here"
    monkeypatch.setenv("JNLP_DATASET_LIVEDOOR", str(missing))
    with pytest.raises(CorpusLoadError) as error:
        load_corpus_text("LIVEDOOR")
    message = error.value.message()
    assert_bilingual(message, str(missing), "JNLP_DATASET_LIVEDOOR")
    assert "フォルダが見つかりません" in message and "folder not found" in message
    # Not remembered: once the operator makes the folder, the next request reads it.
    write_jsonl(missing / "train.jsonl", livedoor_rows(1))
    assert load_corpus_text("LIVEDOOR").sentences == 5


def test_data_without_a_text_column_says_which_columns_it_has(monkeypatch, tmp_path):
    write_jsonl(tmp_path / "odd" / "train.jsonl", [{"body": "本文。", "id": 1}])
    monkeypatch.setenv("JNLP_DATASET_LIVEDOOR", str(tmp_path / "odd"))
    with pytest.raises(CorpusLoadError) as error:
        load_corpus_text("LIVEDOOR")
    assert "title, content, text" in error.value.message() and "body, id" in error.value.message()


def test_a_hub_id_not_downloaded_fails_at_once_in_offline_mode(empty_cache):
    started = time.monotonic()
    with pytest.raises(CorpusLoadError) as error:
        load_corpus_text("JAWIKI")  # the session runs with HF_HUB_OFFLINE=1 (tests/conftest.py)
    assert time.monotonic() - started < 3
    message = error.value.message()
    assert_bilingual(message, JAWIKI_ID, "python -m models.prefetch", "HF_HUB_OFFLINE=1", "JNLP_DATASET_JAWIKI")
    assert "日本語 Wikipedia の文" in message and "Japanese Wikipedia sentences" in message


def test_without_a_network_and_without_the_offline_flag_a_hub_id_fails_at_once(monkeypatch, empty_cache):
    monkeypatch.setattr(hub, "offline_mode", lambda: False)
    point_at(monkeypatch, f"http://127.0.0.1:{closed_port()}")  # nothing answers there
    hub.forget()
    try:
        for attempt in range(2):
            started = time.monotonic()
            with pytest.raises(CorpusLoadError) as error:
                load_corpus_text("LIVEDOOR")
            assert time.monotonic() - started < 3
    finally:
        hub.forget()
    assert error.value.problem is book_corpora.NOT_DOWNLOADED
    assert_bilingual(error.value.message(), CORPORA["LIVEDOOR"].hub_id, "python -m models.prefetch",
                     "JNLP_DATASET_LIVEDOOR")


def test_a_fresh_process_with_the_hub_out_of_reach_fails_at_once(tmp_path):
    """As an operator runs it: HF_ENDPOINT names a closed port, no offline flag, nothing downloaded."""
    script = (
        "import json, time\n"
        "from models.book_corpora import CorpusLoadError, load_corpus_text\n"
        "started = time.monotonic()\n"
        "try:\n"
        "    load_corpus_text('JAWIKI')\n"
        "except CorpusLoadError as error:\n"
        "    print(json.dumps({'seconds': time.monotonic() - started, 'message': error.message()}))\n"
    )
    env = {k: v for k, v in os.environ.items()
           if k not in ("HF_HUB_OFFLINE", "HF_DATASETS_OFFLINE") and not k.startswith("JNLP_DATASET_")}
    env.update(HF_ENDPOINT=f"http://127.0.0.1:{closed_port()}", HF_HOME=str(tmp_path / "home"))
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=env, capture_output=True, text=True,
                            timeout=120)
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert answer["seconds"] < 3
    assert_bilingual(answer["message"], JAWIKI_ID, "python -m models.prefetch", "JNLP_DATASET_JAWIKI")
    assert "cannot be reached" in answer["message"]


def test_a_network_that_never_answers_fails_within_the_probe(monkeypatch, empty_cache, silent_server):
    monkeypatch.setattr(hub, "offline_mode", lambda: False)
    monkeypatch.setattr(hub, "PROBE_TIMEOUT_S", 0.5)
    point_at(monkeypatch, silent_server)
    hub.forget()
    started = time.monotonic()
    try:
        with pytest.raises(CorpusLoadError):
            load_corpus_text("JAWIKI")
    finally:
        hub.forget()
    assert time.monotonic() - started < 3



# --- the Hub: its cache, and which revision holds the data ---------------------------------------------

def test_a_corpus_in_the_cache_loads_without_a_network(monkeypatch, tmp_path):
    from huggingface_hub import constants

    script_only = tmp_path / "main"
    script_only.mkdir()
    (script_only / "README.md").write_text("---\nlanguage: ja\n---\n")
    (script_only / "jawiki-sentences.py").write_text("# a loading script: datasets 5 refuses it\n")
    cache = fake_dataset_cache(tmp_path, JAWIKI_ID, "main", script_only)
    fake_dataset_cache(tmp_path, JAWIKI_ID, PARQUET_EXPORT, parquet_export(tmp_path / "export", jawiki_rows(20)))
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    monkeypatch.setattr(hub, "reachable", lambda: pytest.fail("the Hub must not be asked"))
    corpus = load_corpus_text("JAWIKI")
    assert corpus.source == JAWIKI_ID and corpus.revision == PARQUET_EXPORT and corpus.sentences == 20


@pytest.fixture
def fake_hub(monkeypatch, tmp_path):
    """A Hub reachable through book_corpora's two calls to it: listing a revision and fetching a file."""
    repos: dict[tuple[str, str], Path] = {}
    fetched: list[tuple[str, str]] = []

    def listing(repo_id, revision):
        folder = repos.get((repo_id, revision))
        return None if folder is None else book_corpora._files_in(str(folder))

    def fetch(repo_id, name, revision, local_dir):
        fetched.append((revision, name))
        target = Path(local_dir or tmp_path / "downloads" / revision.replace("/", "_")) / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(repos[(repo_id, revision)] / name, target)
        return str(target)

    monkeypatch.setattr(hub, "offline_mode", lambda: False)
    monkeypatch.setattr(hub, "reachable", lambda: True)
    monkeypatch.setattr(book_corpora, "_hub_listing", listing)
    monkeypatch.setattr(book_corpora, "_hub_file", fetch)
    return repos, fetched


def test_a_script_only_repository_is_read_from_its_parquet_export_one_shard_at_a_time(
        fake_hub, empty_cache, tmp_path):
    repos, fetched = fake_hub
    script_only = tmp_path / "main"
    script_only.mkdir()
    (script_only / "jawiki-sentences.py").write_text("# a loading script\n")
    repos[(JAWIKI_ID, "main")] = script_only
    cap = CORPORA["JAWIKI"].max_sentences
    repos[(JAWIKI_ID, PARQUET_EXPORT)] = parquet_export(tmp_path / "export", jawiki_rows(3 * cap), shards=2)
    calls = []
    corpus = load_corpus_text("JAWIKI", progress=lambda fraction, text: calls.append(text))
    assert corpus.revision == PARQUET_EXPORT and corpus.capped and corpus.sentences == cap
    assert fetched == [(PARQUET_EXPORT, "default/train/0000.parquet")]  # the first shard holds enough
    assert any("downloading" in text for text in calls)


def test_a_repository_with_only_a_script_and_no_export_says_to_use_a_local_copy(fake_hub, empty_cache, tmp_path):
    repos, fetched = fake_hub
    (tmp_path / "main").mkdir()
    (tmp_path / "main" / "livedoor-news-corpus.py").write_text("# a loading script\n")
    repos[(CORPORA["LIVEDOOR"].hub_id, "main")] = tmp_path / "main"
    with pytest.raises(CorpusLoadError) as error:
        load_corpus_text("LIVEDOOR")
    assert error.value.problem is book_corpora.NO_DATA_FILES and fetched == []
    assert_bilingual(error.value.message(), "JNLP_DATASET_LIVEDOOR")
    assert "loading script" in error.value.message()


# --- the pieces ----------------------------------------------------------------------------------------

def test_sentences_split_at_japanese_and_ascii_ends_and_keep_their_closing_brackets():
    assert book_corpora.split_sentences("今日は晴れ。明日は雨？「本当！」と聞いた\n\nＡＩの話") == [
        "今日は晴れ。", "明日は雨?", "「本当!」", "と聞いた", "AIの話"]
    assert book_corpora.split_sentences("詳細は https://example.jp を参照。\n。") == []


def test_split_files_follows_the_layouts_of_the_hub_and_of_datasets():
    livedoor, jawiki = CORPORA["LIVEDOOR"], CORPORA["JAWIKI"]
    assert book_corpora.split_files(["README.md", ".gitattributes", "livedoor-news-corpus.py"], livedoor, "main") == []
    export = ["default/train/0001.parquet", "default/train/0000.parquet", "default/validation/0000.parquet",
              "default/test/0000.parquet", "default/train/index.duckdb"]
    assert book_corpora.split_files(export, livedoor, PARQUET_EXPORT) == [
        "default/train/0000.parquet", "default/train/0001.parquet"]
    assert book_corpora.split_files(["default/partial-train/0000.parquet"], jawiki, PARQUET_EXPORT) == [
        "default/partial-train/0000.parquet"]  # the export of a large dataset holds its first part
    assert book_corpora.split_files(["u--jawiki/parquet-train.parquet"], jawiki, PARQUET_EXPORT) == [
        "u--jawiki/parquet-train.parquet"]  # an older export's layout
    assert book_corpora.split_files(["data/train-00000-of-00001.parquet", "data/test-00000-of-00001.parquet"],
                                    livedoor, "main") == ["data/train-00000-of-00001.parquet"]
    assert book_corpora.split_files(["sentences.jsonl.gz", "notes.md"], jawiki, "main") == ["sentences.jsonl.gz"]
    assert book_corpora.split_files(["dev.jsonl"], jawiki, "main") == []  # names a split, not train
