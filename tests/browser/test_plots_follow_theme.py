"""Plots follow the page's light or dark mode, and a phone's plots are not covered by Plotly's toolbar."""

import pytest

from tests.browser.conftest import run_and_wait, screenshot

# The heatmap's title, axis ticks and colour bar; the PCA's legend: every kind of text a figure draws.
_PLOT_TEXT = """() => [...document.querySelectorAll('[role=tabpanel] .js-plotly-plot')].map(plot => ({
    text: [...plot.querySelectorAll('.gtitle, .xtick text, .ytick text, .legendtext')]
        .map(t => getComputedStyle(t).fill),
    paper: getComputedStyle(plot.querySelector('.main-svg')).backgroundColor,
    background: plot.querySelector('.bg') ? plot.querySelector('.bg').style.fill : null,
    toolbar: plot.querySelector('.modebar-container') ?
        getComputedStyle(plot.querySelector('.modebar-container')).display : null,
}))"""


def _luminance(css_colour: str) -> float:
    numbers = [float(part) for part in css_colour[css_colour.index("(") + 1:-1].split(",")]
    red, green, blue = numbers[:3]
    return (0.2126 * red + 0.7152 * green + 0.0722 * blue) / 255


def _transparent(css_colour: str | None) -> bool:
    return css_colour in (None, "", "transparent") or css_colour.replace(" ", "").endswith(",0)")


@pytest.mark.parametrize("mode, width", [("dark", 1280), ("light", 390)])
def test_contextual_plots_take_the_page_colours(browser, running_app, mode, width):
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="ja-JP", color_scheme=mode)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto(f"{running_app.url}?__theme={mode}&tab=contextual")
        panel = page.locator("[role=tabpanel]:visible").first
        panel.get_by_role("button").first.wait_for()
        run_and_wait(page, lambda: panel.get_by_test_id("dataset-cell-0-0").click())
        page.wait_for_function("() => document.querySelectorAll('[role=tabpanel] .js-plotly-plot .gtitle').length >= 2",
                               timeout=30_000)
        page.wait_for_timeout(300)  # the recolouring runs on the next animation frame
        plots = page.evaluate(_PLOT_TEXT)
        screenshot(page, f"contextual-plots-{mode}-{width}")
    finally:
        context.close()
    assert len(plots) == 2 and errors == []
    for plot in plots:
        assert plot["text"], "no title, tick or legend text found"
        brightness = [_luminance(fill) for fill in plot["text"]]
        if mode == "dark":  # light text on Gradio's near-black blocks
            assert min(brightness) > 0.75, plot["text"]
        else:
            assert max(brightness) < 0.35, plot["text"]
        assert _transparent(plot["paper"]), plot["paper"]  # the block's own background shows through
        assert plot["background"] is None or _transparent(plot["background"]), plot["background"]
        if width < 640:
            assert plot["toolbar"] in (None, "none")
