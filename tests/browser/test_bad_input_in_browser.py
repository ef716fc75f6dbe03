"""Bad input typed into the page, for a sample of tabs: a readable toast or a result, never markup
run from the input, and the tab keeps serving. (tests/test_bad_input.py covers every endpoint
through the API; this is what a student sees.)"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import pytest

from demos import generation, ner, sentiment, tokenizer
from tests.browser.conftest import (
    close_toasts,
    ja,
    open_tab,
    run_and_wait,
    screenshot,
    toast_texts,
)

BLANK = " \u3000\n\t "
MARKUP = "<img src=x onerror=alert(1)><script>alert(2)</script>"
# Control characters (an ANSI colour escape, DEL) and emoji sequences (ZWJ family, flags, a skin tone).
# U+0000 goes last: see test_text_after_a_nul_character_is_analysed.
ODD = "abc\x01\x07\x1b[31m東京\x7f 👨\u200d👩\u200d👧\u200d👦🏳️\u200d🌈🇯🇵👍🏽\x00"
SENTENCE = "今日は天気が良いので東京を散歩した。"


def long_text(length: int) -> str:
    return (SENTENCE * (length // len(SENTENCE) + 1))[:length]


def _axe_serious(page, selector: str) -> list[str]:
    """axe-core's critical and serious findings inside ``selector`` (tests/browser/test_accessibility_in_browser.py
    audits every tab; this, a message that only bad input brings), with the colours axe measured."""
    from axe_playwright_python.sync_playwright import Axe

    from tests.browser.test_accessibility_in_browser import AXE_OPTIONS

    found = Axe().run(page, context={"include": [[selector]]}, options=AXE_OPTIONS).response["violations"]

    def colours(node) -> list[dict]:
        data = [check.get("data") for check in node.get("any", [])]
        return [{k: d.get(k) for k in ("fgColor", "bgColor", "contrastRatio")} for d in data if isinstance(d, dict)]

    return [
        f"{v['id']}: {n['html'][:80]} {colours(n)}"
        for v in found if v["impact"] in ("critical", "serious") for n in v["nodes"]
    ]


# Where the message's 10-second timer stands (its bar's animation, started with the timer that closes it), once
# the message has faded in: its fade-in starts a frame or more after it is drawn (fully opaque until then), so a
# second on the timer, no other animation on the message and every box around it opaque. A finished animation
# drops out of getAnimations(), so an absent timer counts as "no time left".
_FADED_IN_TIMER = """() => {
    const body = document.querySelector('.toast-body');
    if (!body) return {ended: true};
    if (document.querySelectorAll('.toast-body').length !== 1) return null;
    const timers = [...body.querySelectorAll('.timer')].flatMap((t) => t.getAnimations());
    if (timers.length !== 1 || timers[0].playState !== 'running') return {ended: true};
    const fading = document.getAnimations().some((a) => a.playState === 'running' && !timers.includes(a)
        && a.effect && a.effect.target && (a.effect.target.contains(body) || body.contains(a.effect.target)));
    let opaque = true;
    for (let box = body; box; box = box.parentElement) opaque = opaque && getComputedStyle(box).opacity === '1';
    if (timers[0].currentTime < 1000 || fading || !opaque) return false;
    return {elapsed: timers[0].currentTime, duration: timers[0].effect.getTiming().duration, at: performance.now()};
}"""


def _audit_message(page, show_again: Callable[[], None]) -> list[str]:
    """``_axe_serious`` on the message shown, once it has faded in (colours measured during a fade are blends
    with the page). On a busy machine the audit can reach the message's fade-out at 10 s, so it counts only if
    it ended with over a second of the timer left (on the page's clock); otherwise the message is shown again
    and audited anew (a real defect is found every time)."""
    for _ in range(3):
        # Gradio's header of the message called itself a button around the close button (the page script mends it).
        page.wait_for_function("() => !document.querySelector('.toast-header[role=button]')", timeout=5_000)
        timer = page.wait_for_function(_FADED_IN_TIMER, timeout=10_000).json_value()
        if "elapsed" in timer:
            found = _axe_serious(page, ".toast-body")
            ended_at = timer["elapsed"] + page.evaluate("(at) => performance.now() - at", timer["at"])
            if ended_at < timer["duration"] - 1_000:
                return found
        page.wait_for_function("() => !document.querySelector('.toast-body')", timeout=15_000)
        show_again()
        page.get_by_test_id("toast-text").first.wait_for(timeout=5_000)
    raise AssertionError("the message never stayed on the screen for the length of an audit")


def _tracker_errors(panel) -> int:
    """Outputs whose status tracker shows Gradio's error state."""
    return panel.locator("[data-testid=status-tracker]").filter(has_text=re.compile("エラー|Error")).count()


def check_sentiment(panel, text: str, long: bool) -> None:
    label = panel.get_by_test_id("label").inner_text()
    assert "positive" in label and "negative" in label, label
    assert ("only its first" in panel.inner_text()) == long, "truncation note wrong"


def check_ner(panel, text: str, long: bool) -> None:
    pieces = panel.get_by_test_id("highlighted-text").locator(".textfield .text").all_text_contents()
    # As typed, except that U+0000 (which MeCab cannot read past) is shown as U+FFFD.
    assert "".join(pieces) == text.replace("\x00", "\ufffd"), "the original text is not shown as typed"
    # Of the tiny model's words only 東京 (地名) and 山田太郎 (人名, one entity) occur in these texts.
    found = text[:5_000].count("東京") + text[:5_000].count("山田")
    note = panel.inner_text()
    expected = f"Found {found} named {'entity' if found == 1 else 'entities'}" if found else "No named entities were found"
    assert expected in note, note[-600:]
    assert ("only its first 5,000 of 20,000 characters were analysed" in note) == long


def check_tokenizer(panel, text: str, long: bool) -> None:
    # Every family's chips, less the chips that only name a token ([CLS], </s>), read back as the text.
    shown = panel.locator("div.jnlp-chips").evaluate_all(
        """divs => divs.map(d => {
            const copy = d.cloneNode(true);
            copy.querySelectorAll('.jnlp-extra').forEach(e => e.remove());
            return [copy.textContent, d.querySelectorAll('span[title]').length];
        })"""
    )
    assert len(shown) == 3, shown
    for family_text, chips in shown:
        # U+0000 reaches the tokenizers as U+FFFD (MeCab cannot read past a NUL).
        assert family_text == text.replace("\x00", "\ufffd") and chips > 0


def check_next_token(panel, text: str, long: bool) -> None:
    label = panel.get_by_test_id("label")
    assert label.get_by_test_id("label-output-value").inner_text().strip()
    assert label.locator(".confidence-set").count() == 10  # top-k shown, default 10


@dataclass(frozen=True)
class Tab:
    title: object  # registered texts (demos/i18n.py)
    button: object
    check: Callable[..., None]
    valid: str
    long_chars: int


TABS = {
    "sentiment": Tab(sentiment.TITLE, sentiment.WORDS("classify"), check_sentiment, "良い商品でした。", 20_000),
    "ner": Tab(ner.TITLE, ner.WORDS("find"), check_ner, "山田太郎さんは東京へ行った。", 20_000),
    # 20,000 characters take the tokenizer tab about 19 s to draw (14,000 rows per table, three
    # chip views): 2,000 keep the suite quick and still pass every model's limit.
    "tokenizer": Tab(tokenizer.TITLE, tokenizer.WORDS("tokenize"), check_tokenizer, "東京で山田さんに会った。", 2_000),
    "next_token": Tab(generation.TITLE, generation.WORDS("predict_next"), check_next_token,
                      "今日は", 20_000),
}


@pytest.mark.parametrize("name", list(TABS))
def test_bad_input_gets_a_message_or_a_result_and_the_tab_keeps_working(page, name):
    tab = TABS[name]
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    panel = open_tab(page, tab.title)
    box = panel.get_by_role("textbox").first
    button = panel.get_by_role("button", name=ja(tab.button), exact=True)

    box.fill(BLANK)
    run_and_wait(page, button.click)
    page.get_by_test_id("toast-text").first.wait_for(timeout=5_000)
    (message,) = toast_texts(page)
    assert re.search(r"[\u3040-\u30ff\u4e00-\u9fff]", message) and " / " in message, message
    assert "Please enter some" in message and "Traceback" not in message, message
    assert _audit_message(page, lambda: run_and_wait(page, button.click)) == []  # the message itself passes axe
    close_toasts(page)

    for case, text in [("markup", MARKUP), ("odd", ODD), ("long", long_text(tab.long_chars)), ("valid", tab.valid)]:
        box.fill(text)
        assert box.input_value() == text  # the browser kept every character
        run_and_wait(page, button.click)
        assert toast_texts(page) == [] and _tracker_errors(panel) == 0, (case, toast_texts(page))
        tab.check(panel, text, case == "long")
        # Text shown back (highlights, chips) must stay text.
        assert page.locator("img[src=x]").count() == 0, case
        assert not page.evaluate("() => [...document.scripts].some(s => s.textContent.includes('alert('))"), case
        if case == "markup":
            screenshot(page, f"bad-input-{name}")
    assert dialogs == [], dialogs


def test_text_after_a_nul_character_is_analysed(page):
    # MeCab stops reading at U+0000; the app hands it U+FFFD instead, so the rest still counts.
    panel = open_tab(page, ner.TITLE)
    panel.get_by_role("textbox").first.fill("abc\x00東京")
    run_and_wait(page, panel.get_by_role("button", name=ja(ner.WORDS("find"))).click)
    assert "Found 1 named entity" in panel.inner_text()
