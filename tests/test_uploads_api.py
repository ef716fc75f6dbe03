"""Corpus uploads through the API: the word2vec endpoints take a .txt (UTF-8, with or without BOM, or
Shift_JIS) and train on it; anything else gets a clear bilingual message, and the app keeps serving.

Every endpoint that takes the upload (/train_word2vec, /word2vec, /analogy, /export_vectors) is called
through gradio_client against the running app, with small vectors and one epoch to stay fast.
"""

from __future__ import annotations

import codecs
import json
import os
import re

import httpx
import pytest
from gradio_client import handle_file
from gradio_client.exceptions import AppError

from demos import word2vec
from models.word2vec import MAX_UPLOAD_BYTES
from tests.conftest import call_raw

# Words the default corpus does not have: a result built from them can only come from the file.
LINES = ["ペンギンと白熊が氷の上で遊ぶ。", "白熊とペンギンが海で泳ぐ。", "宇宙船とロケットが空を飛ぶ。",
         "ロケットと宇宙船が星へ向かう。"]
CORPUS = "\n".join(LINES * 8)
# Their vocabulary (MeCab content words; 宇宙船 is 宇宙 + a suffix, which is dropped).
FILE_WORDS = {"ペンギン", "白熊", "氷", "上", "遊ぶ", "海", "泳ぐ", "宇宙", "ロケット", "空", "飛ぶ", "星", "向かう"}
SMALL = {"vector_size": 10, "min_count": 1, "epochs": 1}  # the smallest the sliders take: training is instant
GRADIO_LIMIT = 5 * 1024 * 1024  # app.py: launch(max_file_size="5mb"), which Gradio reads as MiB


def _clear(message: str) -> bool:
    """Japanese, then " / ", then English, and no stack trace."""
    japanese = re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", message)
    return bool(japanese) and " / " in message and "Traceback" not in message and 'File "' not in message


def _explore(client, path, words="ペンギン"):
    return client.predict("", words, handle_file(str(path)), api_name="/word2vec", topn=5, **SMALL)


def _file(tmp_path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _assert_still_serves(client, tmp_path):
    """After a bad upload, a good upload and a pasted corpus both still give results."""
    table, _, _ = _explore(client, _file(tmp_path, "after.txt", CORPUS.encode("utf-8")))
    assert table["data"] and {row[1] for row in table["data"]} <= FILE_WORDS
    table, _, _ = client.predict("\n".join(["犬と猫が庭で遊ぶ。"] * 5), "犬", api_name="/word2vec", topn=3, **SMALL)
    assert {row[0] for row in table["data"]} == {"犬"}


GOOD = {
    "utf-8": CORPUS.encode("utf-8"),
    "utf-8 with BOM": b"\xef\xbb\xbf" + CORPUS.encode("utf-8"),
    "shift_jis": CORPUS.encode("cp932"),
}


@pytest.mark.parametrize("encoding", list(GOOD))
def test_a_text_file_trains_and_its_words_come_back(client, tmp_path, encoding):
    path = _file(tmp_path, "corpus.txt", GOOD[encoding])
    table, figure, note = _explore(client, path)
    assert table["headers"] == word2vec.TABLE_HEADERS
    assert {row[0] for row in table["data"]} == {"ペンギン"}
    neighbours = {row[1] for row in table["data"]}
    assert neighbours and neighbours <= FILE_WORDS, neighbours  # decoded right: no mojibake, no BOM glued on
    assert note == ""
    status, _ = client.predict("", handle_file(str(path)), api_name="/train_word2vec", **SMALL)
    assert "uploaded file" in status and f"語彙 {len(FILE_WORDS)} / vocabulary" in status


def test_every_endpoint_that_takes_the_upload_uses_it(client, tmp_path):
    path = _file(tmp_path, "corpus.txt", GOOD["shift_jis"])
    results = client.predict("", "ペンギン", "白熊", "宇宙", handle_file(str(path)), api_name="/analogy", **SMALL)
    assert results["data"] and {row[0] for row in results["data"]} <= FILE_WORDS
    exported = client.predict("", handle_file(str(path)), api_name="/export_vectors", **SMALL)
    header, *lines = open(exported, encoding="utf-8").read().splitlines()
    assert header.split() == [str(len(FILE_WORDS)), "10"]
    assert {line.split()[0] for line in lines} == FILE_WORDS


def test_exporting_the_same_vectors_again_gives_the_same_file(client, tmp_path):
    path = _file(tmp_path, "corpus.txt", GOOD["utf-8"])
    first = client.predict("", handle_file(str(path)), api_name="/export_vectors", **SMALL)
    again = client.predict("", handle_file(str(path)), api_name="/export_vectors", **SMALL)
    # The client stores a download under the file's content hash and its server-side name.
    assert again == first and os.path.basename(first).startswith("word2vec-10d-")
    other = client.predict("", handle_file(str(path)), api_name="/export_vectors", **{**SMALL, "vector_size": 12})
    assert os.path.basename(other) != os.path.basename(first)


def test_an_upload_the_server_no_longer_has_is_asked_for_again(client, running_app):
    # The server deletes uploads after a few hours (delete_cache); a page left open still holds the path.
    uploaded = httpx.post(running_app.url + "gradio_api/upload",
                          files={"files": ("old.txt", CORPUS.encode("utf-8"), "text/plain")}).json()[0]
    os.remove(uploaded)
    file_data = {"path": uploaded, "orig_name": "old.txt", "meta": {"_type": "gradio.FileData"}}
    event, data = call_raw(running_app.url, "word2vec", json.dumps({"data": ["", "ペンギン", file_data]}))
    message = data.get("error", str(data))
    assert event == "error" and _clear(message) and "upload it again" in message, (event, data)


# The same refusal from each endpoint that reads the upload, before any training.
ENDPOINTS = {
    "/word2vec": {"words": "ペンギン"},
    "/train_word2vec": {},
    "/analogy": {"a": "ペンギン", "b": "白熊", "c": "宇宙"},
    "/export_vectors": {},
}
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"


@pytest.mark.parametrize("api_name", list(ENDPOINTS))
def test_a_binary_file_is_refused_with_a_clear_message(client, tmp_path, api_name):
    path = _file(tmp_path, "picture.txt", PNG + bytes(range(256)))  # a .txt name does not make it text
    with pytest.raises(AppError) as error:
        client.predict(corpus_text="", upload=handle_file(str(path)), api_name=api_name, **ENDPOINTS[api_name],
                       **SMALL)
    assert _clear(str(error.value)) and "text file" in str(error.value), str(error.value)
    _assert_still_serves(client, tmp_path)


def test_a_file_over_the_apps_limit_but_under_gradios_is_refused_by_the_app(client, tmp_path):
    size = 3_000_000
    assert MAX_UPLOAD_BYTES < size < GRADIO_LIMIT
    line = "ペンギンと白熊が氷の上で遊ぶ。\n".encode("utf-8")
    path = _file(tmp_path, "big.txt", (line * (size // len(line) + 1))[:size])
    with pytest.raises(AppError) as error:
        _explore(client, path)
    message = str(error.value)
    assert _clear(message) and "too large" in message and f"{MAX_UPLOAD_BYTES // 1_000_000} MB" in message, message
    _assert_still_serves(client, tmp_path)


def test_a_file_over_gradios_upload_limit_never_succeeds(client, running_app, tmp_path):
    path = _file(tmp_path, "huge.txt", b"a" * (6 * 1024 * 1024))
    # gradio_client checks the app's max_file_size before sending: some error, never a result.
    with pytest.raises(Exception) as error:
        _explore(client, path)
    assert "Traceback" not in str(error.value)
    # A client that skips that check is stopped by the server itself, before the file is stored.
    with path.open("rb") as handle:
        response = httpx.post(running_app.url + "gradio_api/upload",
                              files={"files": ("huge.txt", handle, "text/plain")}, timeout=60)
    assert response.status_code == 413, (response.status_code, response.text[:200])
    _assert_still_serves(client, tmp_path)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
def test_a_utf16_file_with_a_bom_is_decoded(client, tmp_path, encoding):
    # What Windows Notepad calls "Unicode": UTF-16 with a byte-order mark.
    data = codecs.BOM_UTF16_BE + CORPUS.encode(encoding) if encoding == "utf-16-be" else CORPUS.encode(encoding)
    table, _, note = _explore(client, _file(tmp_path, "utf16.txt", data))
    assert table["data"] and {row[1] for row in table["data"]} <= FILE_WORDS
    _assert_still_serves(client, tmp_path)


def test_utf16_without_a_bom_is_explained(client, tmp_path):
    with pytest.raises(AppError) as error:
        _explore(client, _file(tmp_path, "utf16.txt", CORPUS.encode("utf-16-le")))
    assert _clear(str(error.value)), str(error.value)
    _assert_still_serves(client, tmp_path)


def test_an_empty_file_is_explained(client, tmp_path):
    with pytest.raises(AppError) as error:
        _explore(client, _file(tmp_path, "empty.txt", b""))
    assert _clear(str(error.value)) and "no words" in str(error.value), str(error.value)
    _assert_still_serves(client, tmp_path)


@pytest.mark.parametrize("name", ["picture.png", "<img src=x>.md"])
def test_a_file_that_is_not_txt_is_refused_in_both_languages(client, tmp_path, name):
    with pytest.raises(AppError) as error:
        _explore(client, _file(tmp_path, name, PNG))
    message = str(error.value)
    assert _clear(message) and ".txt のファイルを選んでください" in message and "takes a .txt file" in message, message
    assert "<img" not in message  # the file's name is shown as text
    _assert_still_serves(client, tmp_path)


def test_an_upper_case_txt_name_is_a_txt_file(client, tmp_path):
    table, _, _ = _explore(client, _file(tmp_path, "CORPUS.TXT", CORPUS.encode("utf-8")))
    assert table["data"] and {row[1] for row in table["data"]} <= FILE_WORDS
