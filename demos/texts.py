"""Long copy of the app: the introduction and each tab's explanation (Japanese, then English).

Kept apart from the handlers so the wording can change without touching code.
"""

APP_TITLE = "日本語NLPプレイグラウンド / Japanese NLP Playground"

APP_INTRO = """\
# 日本語NLPプレイグラウンド / Japanese NLP Playground
『大規模言語モデル入門』第1章のモデルを、ブラウザで動かして確かめるためのアプリです。タブを選び、例をクリックするか文を入力してください。
モデルは最初に使うときに読み込まれるので、初回だけ少し時間がかかります。

<small>Run the models of chapter 1 of the book 大規模言語モデル入門 in your browser. Pick a tab, click an example or type Japanese.
Each model loads on its first use, so the first answer of a tab takes a little longer.</small>
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
