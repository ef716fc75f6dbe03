"""The page speaks the browser's language: English for English browsers, Japanese otherwise,
and the footer's Settings → Language switches it."""

from __future__ import annotations

from contextlib import contextmanager

import pytest

from demos import DEMOS, i18n, sentiment, texts
from tests.browser.conftest import screenshot


@contextmanager
def _page(browser, url: str, locale: str):
    context = browser.new_context(viewport={"width": 1920, "height": 1000}, locale=locale)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(url)
    page.get_by_role("tab").first.wait_for()
    try:
        yield page
    finally:
        context.close()
    assert errors == [], errors


def _tab_names(page) -> list[str]:
    return [name.strip() for name in page.get_by_role("tab").all_inner_texts()]


def _shows_titles(page, language: str) -> None:
    """Every tab title and the intro are in ``language``."""
    expected = [i18n.in_language(module.TITLE, language) for module in DEMOS]
    page.wait_for_function("names => names.every(n => [...document.querySelectorAll('[role=tab]')]"
                           ".some(t => t.textContent.trim() === n))", arg=expected, timeout=10_000)
    assert [name for name in _tab_names(page) if name in expected] == expected
    heading = i18n.in_language(texts.INTRO, language).splitlines()[0].lstrip("# ")
    # Waited for, not checked at once: on a busy machine the page draws the tab titles before the rest.
    page.get_by_role("heading", name=heading).wait_for(state="visible", timeout=10_000)


def _shows(page, language: str) -> None:
    """Every tab title, the intro and the first tab's button are in ``language``."""
    _shows_titles(page, language)
    classify = i18n.in_language(sentiment.WORDS("classify"), language)
    page.get_by_role("button", name=classify, exact=True).wait_for(state="visible", timeout=10_000)


@pytest.mark.parametrize(("locale", "language"), [("ja-JP", "ja"), ("en-US", "en"), ("en-GB", "en"),
                                                  ("fr-FR", "ja"), ("zh-CN", "ja")])
def test_the_browser_language_picks_the_words(browser, running_app, locale, language):
    with _page(browser, running_app.url, locale) as page:
        _shows(page, language)


def test_settings_switch_japanese_to_english_and_back_on_the_open_tab(browser, running_app):
    from demos import nli

    with _page(browser, running_app.url, "ja-JP") as page:
        _shows(page, "ja")
        page.get_by_role("tab", name=i18n.in_language(nli.TITLE, "ja")).click()
        for language, choice in (("en", "English"), ("ja", "日本語")):
            page.locator("footer").get_by_role("button").filter(has_text="設定" if language == "en" else "Settings").click()
            page.get_by_role("combobox", name="Language").click()
            page.get_by_role("option", name=choice).click()
            # The page reopens in that language (every tab title, not only the open tab's words),
            # on the tab that was open.
            page.wait_for_url(f"**lang={language}**", timeout=10_000)
            page.get_by_role("tab").first.wait_for()
            assert "tab=nli" in page.url
            page.get_by_role("tab", name=i18n.in_language(nli.TITLE, language), selected=True).wait_for(timeout=10_000)
            _shows_titles(page, language)


def test_the_language_link_at_the_top_reopens_the_open_tab_in_the_other_language(browser, running_app):
    from demos import contextual

    with _page(browser, running_app.url, "ja-JP") as page:
        _shows(page, "ja")
        page.get_by_role("tab", name=i18n.in_language(contextual.TITLE, "ja")).click()
        for language, link in (("en", "English"), ("ja", "日本語")):
            if language == "en":
                page.get_by_role("link", name=link, exact=True).click()
            else:  # from the keyboard, too
                page.get_by_role("link", name=link, exact=True).focus()
                page.keyboard.press("Enter")
            page.wait_for_url(f"**lang={language}**", timeout=10_000)
            page.get_by_role("tab").first.wait_for()
            assert "tab=contextual" in page.url
            page.get_by_role("tab", name=i18n.in_language(contextual.TITLE, language), selected=True).wait_for(
                timeout=10_000)
            _shows_titles(page, language)


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_ner_colour_key_and_summary_read_in_the_pages_language(browser, running_app, language):
    from demos import ner

    with _page(browser, f"{running_app.url}?lang={language}&tab=ner", "ja-JP") as page:
        panel = page.locator("[role=tabpanel]:visible").first
        panel.get_by_role("button", name=i18n.in_language(ner.WORDS("find"), language)).wait_for()
        key = panel.locator("p", has_text="Entity types:" if language == "en" else "固有表現の種類：")
        key.wait_for(timeout=10_000)
        shown = key.inner_text()
        assert all(label in shown for label in ner.COLORS)
        assert ("人名 (person)" in shown) == (language == "en"), shown
        panel.get_by_role("textbox").first.fill("山田太郎さんは東京と大阪へ行った。")
        panel.get_by_role("button", name=i18n.in_language(ner.WORDS("find"), language)).click()
        panel.get_by_text("Found 3 named entities: 人名 (person) 1, 地名 (place) 2").wait_for(timeout=60_000)
        headers = [h.strip() for h in panel.locator("thead th").all_inner_texts() if h.strip()]
        assert "種類 / type" in " ".join(headers), headers
        screenshot(page, f"ner-{language}")


@pytest.mark.parametrize(("locale", "query", "language"), [("ja-JP", "?lang=en", "en"), ("en-US", "?lang=ja", "ja"),
                                                           ("en-US", "?lang=xx", "en")])
def test_a_lang_link_opens_the_whole_page_in_that_language(browser, running_app, locale, query, language):
    with _page(browser, running_app.url + query, locale) as page:
        _shows(page, language)


def test_a_shared_link_opens_its_tab_with_the_inputs_filled(browser, running_app):
    from urllib.parse import urlencode

    from demos import nli

    premise, hypothesis = "公園で<b>子ども</b>が遊んでいる。", "子どもが外にいる。"
    query = urlencode({"tab": "nli", "premise": premise, "hypothesis": hypothesis, "lang": "en"})
    with _page(browser, f"{running_app.url}?{query}", "ja-JP") as page:
        page.get_by_role("tab", name=i18n.in_language(nli.TITLE, "en"), selected=True).wait_for(timeout=10_000)
        panel = page.locator("[role=tabpanel]:visible").first
        panel.get_by_label(i18n.in_language(nli.WORDS("premise"), "en")).wait_for()
        page.wait_for_function("v => [...document.querySelectorAll('textarea')].some(t => t.value === v)", arg=premise)
        assert panel.get_by_label(i18n.in_language(nli.WORDS("premise"), "en")).input_value() == premise
        assert panel.get_by_label(i18n.in_language(nli.WORDS("hypothesis"), "en")).input_value() == hypothesis
        assert page.locator("b", has_text="子ども").count() == 0  # the link's text stays text


def test_the_link_maker_writes_a_link_that_reopens_the_tab_with_its_inputs(browser, running_app):
    from demos import links, similarity

    first, second = "川沿いの道を犬と走った。", "A&B=「東京」?#"  # characters a URL must encode
    with _page(browser, running_app.url + "?lang=en", "ja-JP") as page:
        page.get_by_role("tab", name=i18n.in_language(similarity.TITLE, "en")).click()
        panel = page.locator("[role=tabpanel]:visible").first
        panel.get_by_label(i18n.in_language(similarity.WORDS("sentence1"), "en")).fill(first)
        panel.get_by_label(i18n.in_language(similarity.WORDS("sentence2"), "en")).fill(second)
        panel.get_by_text(i18n.in_language(links.WORDS("accordion"), "en")).click()
        panel.get_by_role("button", name=i18n.in_language(links.WORDS("make"), "en")).click()
        assert panel.get_by_text(i18n.in_language(links.WORDS("link"), "en")).is_visible()
        link = page.wait_for_function(
            "() => [...document.querySelectorAll('textarea')].map(t => t.value).find(v => v.includes('tab=similarity'))",
            timeout=10_000).json_value()
    assert link.startswith(running_app.url + "?") and "lang=en" in link
    with _page(browser, link, "ja-JP") as page:
        panel = page.locator("[role=tabpanel]:visible").first
        page.wait_for_function("v => [...document.querySelectorAll('textarea')].some(t => t.value === v)", arg=second)
        assert panel.get_by_label(i18n.in_language(similarity.WORDS("sentence1"), "en")).input_value() == first
        assert panel.get_by_label(i18n.in_language(similarity.WORDS("sentence2"), "en")).input_value() == second


def test_the_link_maker_refuses_a_link_too_long_to_open(browser, running_app):
    from demos import links, nli

    with _page(browser, running_app.url + "?lang=en", "ja-JP") as page:
        page.get_by_role("tab", name=i18n.in_language(nli.TITLE, "en")).click()
        panel = page.locator("[role=tabpanel]:visible").first
        panel.get_by_label(i18n.in_language(nli.WORDS("premise"), "en")).fill("長" * 2_000)  # 18,000 in a URL
        panel.get_by_text(i18n.in_language(links.WORDS("accordion"), "en")).click()
        panel.get_by_role("button", name=i18n.in_language(links.WORDS("make"), "en")).click()
        shown = page.wait_for_function(
            "() => [...document.querySelectorAll('textarea')].map(t => t.value).find(v => v.includes('too long'))",
            timeout=10_000).json_value()
    assert "リンクが長すぎます" in shown and f"at most {links.MAX_LINK_URL_CHARS:,}" in shown and "http" not in shown


def _untranslated(page) -> list[str]:
    """Lines of the visible page that show a translatable text's placeholder instead of its words."""
    return [line for line in page.evaluate("() => document.body.innerText").splitlines()
            if "__i18n__" in line or "translation_metadata" in line]


@pytest.mark.parametrize("language", ["ja", "en"])
def test_no_tab_shows_a_placeholder_instead_of_words(browser, running_app, language):
    """Every tab and inner tab, opened: Gradio translates labels, but not every place it shows them
    (the column headers of examples of two inputs once read __i18n__{"key": "nli.premise"})."""
    from demos import nli

    with _page(browser, f"{running_app.url}?lang={language}", "ja-JP") as page:
        _shows_titles(page, language)
        for module in DEMOS:
            page.get_by_role("tab", name=i18n.in_language(module.TITLE, language), exact=True).click()
            panel = page.locator("[role=tabpanel]:visible").first
            panel.wait_for()
            assert _untranslated(page) == [], module.__name__
            for inner in panel.get_by_role("tab").all():  # a tab's own tabs (contextual, generation)
                inner.click()
                assert _untranslated(page) == [], f"{module.__name__}: {inner.inner_text()}"
            if module is nli:  # its examples' columns are named in both languages
                headers = panel.locator("thead th").all_inner_texts()
                assert [header.strip() for header in headers] == [
                    i18n.both_languages(nli.WORDS("premise")), i18n.both_languages(nli.WORDS("hypothesis"))]
