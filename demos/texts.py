"""Long copy of the app: the introduction and each tab's explanation, in Japanese and in English.

Kept apart from the handlers so the wording can change without touching code; registered
with demos/i18n.py at the end of this module, so the browser shows the reader's language.
"""

from demos import i18n

APP_TITLE = "日本語NLPプレイグラウンド / Japanese NLP Playground"

APP_INTRO_JA = """\
# 日本語NLPプレイグラウンド
『大規模言語モデル入門』第1章のモデルを、ブラウザで動かして確かめるためのアプリです。タブを選び、例をクリックするか文を入力してください。
モデルは最初に使うときに読み込まれるので、初回だけ少し時間がかかります。
"""
APP_INTRO_EN = """\
# Japanese NLP Playground
Run the models of chapter 1 of the book 大規模言語モデル入門 in your browser. Pick a tab, click an example or type Japanese.
Each model loads on its first use, so the first answer of a tab takes a little longer.
"""

SENTIMENT_JA = """\
**文書分類**：文章全体を読んで、あらかじめ決めたラベルのどれに当たるかを予測します。ここでは商品レビュー (MARC-ja) で学習した BERT が、
レビューが肯定的 (positive) か否定的 (negative) かを判定し、**すべてのラベルの確率**を表示します。"""
SENTIMENT_EN = """\
**Text classification**: the model reads the whole text and predicts which of a fixed set of labels fits. A BERT fine-tuned on product
reviews (MARC-ja) tells a positive from a negative review; the bars show the probability of every label."""

NLI_JA = """\
**自然言語推論**：「前提」と「仮説」の2文の関係を当てます。
**entailment（含意）** 前提が正しければ仮説も必ず正しい ・ **contradiction（矛盾）** 前提が正しければ仮説は正しくない ・
**neutral（中立）** 前提だけではどちらとも言えない。JNLI で学習した BERT が3つのラベルの確率を出します。"""
NLI_EN = """\
**Natural language inference**: how does the hypothesis relate to the premise? *entailment*: if the premise is true, the
hypothesis must be true; *contradiction*: it cannot be true; *neutral*: the premise does not tell. A BERT fine-tuned on JNLI
gives the probability of each of the three labels."""

SIMILARITY_JA = """\
**意味的類似度**：2つの文の意味がどれだけ近いかを測る、2つの方法を並べて見られます。
左は JSTS で学習した BERT の**回帰スコア**（0＝まったく無関係 〜 5＝同じ意味。モデルの出力そのままで、シグモイドなどはかけていません）。
右は教師なし SimCSE で作った2つの文ベクトル（[CLS] トークンの埋め込み）の**コサイン類似度**（−1〜1）です。"""
SIMILARITY_EN = """\
**Semantic similarity**, measured two ways side by side. Left: the raw regression score of a BERT fine-tuned on JSTS
(0 = unrelated … 5 = same meaning; the model's output as is, no sigmoid). Right: the cosine similarity (−1 … 1) of the two
sentence vectors (the [CLS] embeddings) of an unsupervised SimCSE model."""

NER_JA = """\
**固有表現認識**：文中の人名・法人名・地名などを見つけ、種類をつけます（8種類：人名、法人名、政治的組織名、その他の組織名、
地名、施設名、製品名、イベント名）。結果は**入力したままの文**の上に色で示し、下の表に文字位置 (start, end) とともに並べます。"""
NER_EN = """\
**Named entity recognition**: find the names of people, companies, places and more, and tell their type (8 types).
Entities are highlighted on your text exactly as you typed it, and listed below with their character positions (start, end)."""

SUMMARIZATION_JA = """\
**要約生成**：ニュース記事を読んで、短い見出し（要約）を一から生成します。livedoor ニュースで学習した T5 を使います。
「最大トークン数」で生成する長さの上限を、「ビーム数」で探索の広さを変えられます。"""
SUMMARIZATION_EN = """\
**Summarization**: a T5 fine-tuned on livedoor news reads an article and writes a short headline-style summary, token by
token. *Max new tokens* caps its length; *beams* widens the search for a better sequence (slower)."""

TOKENIZER_JA = """\
**トークナイザ**：モデルは文字列をそのまま読むのではなく、まず「トークン」に分け、それぞれを番号（ID）に置き換えます。
上の表は辞書に基づく形態素解析器 MeCab の結果（品詞・読み・原形つき）、下の3列は各モデルのサブワード分割です。
BERT は MeCab で単語に分けてから WordPiece で細かくし（続きのかけらに `##`）、T5 と GPT-2 は SentencePiece で分けます。
色のついたチップにマウスを重ねるとトークンとIDが見えます。赤いチップは語彙にない未知トークンです。"""
TOKENIZER_EN = """\
**Tokenizers**: a model does not read characters; it first cuts the text into tokens and maps each to an id. The table shows
MeCab's dictionary-based morphemes (part of speech, reading, lemma); below, the subword tokens of each model family: BERT splits
MeCab words further with WordPiece (`##` marks a continuation), T5 and GPT-2 use SentencePiece. Hover a chip to see its token
and id; red chips are unknown tokens."""

GENERATION_JA = """\
**テキスト生成**：GPT-2 のような言語モデルは、それまでの文から「次に来るトークン」の確率を語彙全体について計算します。
「次のトークン」タブではその確率の上位を棒グラフで見て、選んだトークンをプロンプトに足していけます（1歩ずつの生成）。
「生成」タブでは、最も確率の高いトークンを選び続ける**貪欲法**か、確率に従って選ぶ**サンプリング**（温度・top-p・top-k で分布を調整、
シードを固定すれば同じ結果）で文章を続けます。例の後半は、少数の例を見せて答え方を示す**プロンプト**の例です。"""
GENERATION_EN = """\
**Text generation**: a language model such as GPT-2 gives, for the text so far, a probability to every token of its vocabulary
to come next. *Next token* shows the most likely ones as bars; append one to the prompt to generate step by step. *Generate*
continues the text greedily (always the most likely token) or by sampling (shaped by temperature, top-p and top-k; the same seed
gives the same text). The last examples show prompting with a few examples (few-shot)."""

WORD2VEC_JA = """\
**word2vec**：スキップグラムは、文中の各単語（中心語）から前後の窓幅以内にある単語（文脈語）を予測するように学習します。
似た文脈に現れる単語ほどベクトルが近くなります。ただし、1つの単語には意味が複数あっても**ベクトルは1つ**です。
既定のコーパスは、このアプリのプログラムが決まった乱数で作った約3万2千文で、動物・食べ物・地名・色・職業・スポーツ・乗り物・天気・家族の
単語がそれぞれ共通の文型に入っています（どこからも文章を写していません）。自分の文章を貼り付けるか .txt をアップロードしても学習できます。"""
WORD2VEC_EN = """\
**word2vec**: skip-gram learns to predict, from each word, the words within a window around it; words that appear in similar
contexts end up with close vectors, and each word gets one vector whatever its sense. The default corpus is about 32,000
sentences generated by this app's own code with a fixed seed: words of one kind (animals, foods, places, colours, jobs, sports,
vehicles, weather, family) fill shared sentence patterns. Paste your own text or upload a .txt to train on it instead."""

CONTEXTUAL_JA = """\
**文脈化埋め込み**：word2vec は1つの単語に1つのベクトル（静的な埋め込み）しか持ちませんが、BERT は文全体を読んでから
各トークンのベクトルを作るので、同じ単語でも前後の文脈によってベクトルが変わります。下の例では「かける」や「はし」の出現ごとに
ベクトルを取り出し（複数のサブワードに分かれた語はその平均）、**コサイン類似度**の表とヒートマップ、2次元に縮めた散布図で比べます。
「層」で見る層を選べます。0 は文脈を見る前の埋め込み層で、層が深くなるほど文脈の情報が混ざっていきます。
**穴埋め**：BERT は文の一部を [MASK] で隠し、それを当てる**マスク言語モデル**として事前学習されています。[MASK]（または ＿ ・ ＊）を
入れた文を入力すると、その位置に入る語の候補と確率が見られます。"""
CONTEXTUAL_EN = """\
**Contextual embeddings**: word2vec keeps one vector per word (a static embedding); BERT reads the whole sentence before it
builds each token's vector, so one word gets a different vector in each context. Here every occurrence of a word (such as かける
or はし) gets its vector (the mean of its subword tokens), compared by cosine similarity in a table, a heatmap and a 2D PCA
scatter. *Layer* picks the layer: 0 is the embedding layer, before any context; deeper layers mix in more of it.
**Fill-mask**: BERT is pre-trained as a *masked language model*: it learns to guess words hidden behind [MASK]. Type a text with
[MASK] (or ＿ / ＊) to see the most likely words for each gap and their probabilities."""

ABOUT_JA = """\
**状態**：このアプリが使うモデル（キーごとのモデル ID と、その出どころ）、ネットワークなしで使えるか、いま読み込まれているか、
そして動いている環境（バージョンと設定）の一覧です。このタブはモデルを読み込まず、ネットワークにも接続しません。
「出どころ」が「上書き」のキーは、環境変数 `JNLP_MODEL_<キー>` で別の Hub ID かフォルダが指定されています。
「デバイス」列の（ONNX Runtime）は、そのモデルの計算を CPU 向けの推論エンジン ONNX Runtime で行っていることを
示します（環境変数 `JNLP_ENGINE`）。（oneDNN）は、ONNX Runtime を切ったとき（`JNLP_ENGINE=torch`）に行列積を速い oneDNN の計算で行っていることを示します（`JNLP_ONEDNN`）。
どちらも最初のクリックのあとに準備するので、しばらく「準備中」と出ます。その間も少し遅いだけで答えます。
**オフラインの教室で使うには**：ネットワークにつながっているうちに `python -m models.prefetch` を実行して、すべてのモデルを
Hugging Face のキャッシュにダウンロードし、読めることを確かめます（`--dir ~/jnlp-models` ならフォルダに保存し、使う `JNLP_MODEL_*` を表示します）。
授業では `HF_HUB_OFFLINE=1 python app.py` で起動します。「オフライン」列がすべて ✅ なら準備完了です
（`python -m models.prefetch --check` でも確かめられます）。"""
ABOUT_EN = """\
**Status**: the model each key will use (and where its id comes from), whether it works without network, whether it is loaded
now, and the environment (versions and settings). This tab loads no model and never reaches the network. A key whose source
reads *overridden* was pointed at another Hub id or a folder with the variable `JNLP_MODEL_<KEY>`.
*(ONNX Runtime)* beside a device means the model runs on ONNX Runtime, an inference engine for CPUs (variable
`JNLP_ENGINE`); *(oneDNN)* means that, with it turned off (`JNLP_ENGINE=torch`), its matrix products run on oneDNN's faster CPU kernels (`JNLP_ONEDNN`). Both are prepared
after the first click: until then the device reads *preparing*, and the model answers meanwhile, a little slower.
**For a classroom without network**: while online, run `python -m models.prefetch` to download every model into the Hugging Face
cache and check it can be read (`--dir ~/jnlp-models` saves them into folders and prints the `JNLP_MODEL_*` lines to use). In class, start
the app with `HF_HUB_OFFLINE=1 python app.py`. When every row of the *Offline* column shows ✅, you are ready (`python -m
models.prefetch --check` tells the same)."""


# The explanations as translatable texts: EXPLAINED("sentiment") is SENTIMENT_JA or SENTIMENT_EN.
APP_WORDS = i18n.register("app", {
    "intro": (APP_INTRO_JA, APP_INTRO_EN),
    # A plain link (gr.HTML): it reloads this page in the other language (demos/i18n.py, ?lang=), on the
    # tab that is open (i18n.RELOAD_ON_SWITCH_SCRIPT sets its address, data-jnlp-lang). Gradio's
    # Markdown would open it in a new browser tab.
    "language_switch": (
        "<p style='text-align:right;margin:0'><a href='?lang=en' data-jnlp-lang='en' lang='en'>English</a>"
        "<small>（ページ下の「設定」→「言語」でも切り替えられます）</small></p>",
        "<p style='text-align:right;margin:0'><a href='?lang=ja' data-jnlp-lang='ja' lang='ja'>日本語</a>"
        "<small> (or Settings → Language at the bottom of the page)</small></p>",
    ),
})
INTRO = APP_WORDS("intro")
LANGUAGE_SWITCH = APP_WORDS("language_switch")
EXPLAINED = i18n.register("explanation", {
    "sentiment": (SENTIMENT_JA, SENTIMENT_EN),
    "nli": (NLI_JA, NLI_EN),
    "similarity": (SIMILARITY_JA, SIMILARITY_EN),
    "ner": (NER_JA, NER_EN),
    "summarization": (SUMMARIZATION_JA, SUMMARIZATION_EN),
    "tokenizer": (TOKENIZER_JA, TOKENIZER_EN),
    "generation": (GENERATION_JA, GENERATION_EN),
    "word2vec": (WORD2VEC_JA, WORD2VEC_EN),
    "contextual": (CONTEXTUAL_JA, CONTEXTUAL_EN),
    "about": (ABOUT_JA, ABOUT_EN),
})
