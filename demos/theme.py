"""The page's look beyond Gradio's theme: plots that follow light and dark mode, and phone fixes.

app.py passes CSS and HEAD to launch(). Plotly draws its figures with colours fixed in the
figure (white paper, dark grey text), which stayed bright white in dark mode. The figures are
made with transparent backgrounds and grey grid lines, readable on either page (PLOT_LOOK,
applied by common.plotly_plot), and a script gives their text the colour of the page's text.
"""

from __future__ import annotations

# Layout defaults every figure starts from (plotly.js layout attributes). Grey at partial opacity
# reads on white and on Gradio's near-black alike; the text's grey is only what shows until the
# script below sets the page's own text colour (and where scripts do not run).
_GRID = "rgba(128,128,128,0.3)"
_AXIS = {"gridcolor": _GRID, "zerolinecolor": "rgba(128,128,128,0.6)", "linecolor": _GRID}
_SCENE_AXIS = {**_AXIS, "backgroundcolor": "rgba(128,128,128,0.06)", "showbackground": True}
PLOT_LOOK = {
    "paper_bgcolor": "rgba(0,0,0,0)",
    "plot_bgcolor": "rgba(0,0,0,0)",
    "font": {"color": "#808080"},
    "xaxis": _AXIS,
    "yaxis": _AXIS,
    "scene": {"xaxis": _SCENE_AXIS, "yaxis": _SCENE_AXIS, "zaxis": _SCENE_AXIS},
}

# Gradio's plot component draws with plotly.js and leaves it as window.Plotly. After each drawing
# of a figure (a new answer, a redraw while training) its text gets the colour its block's text has
# in the current mode; a switch between light and dark (the body's class) recolours every figure.
HEAD = """<script>
(() => {
    const recolour = (plot) => {
        if (!window.Plotly || !plot._fullLayout) return;
        const colour = getComputedStyle(plot).color;
        if (!colour || plot._fullLayout.font.color === colour) return;
        window.Plotly.relayout(plot, {"font.color": colour});
    };
    const seen = new WeakSet();
    const all = () => document.querySelectorAll(".js-plotly-plot").forEach((plot) => {
        if (!seen.has(plot) && plot.on) {
            seen.add(plot);
            plot.on("plotly_afterplot", () => recolour(plot));
        }
        recolour(plot);
    });
    let pending = false;
    const soon = () => {
        if (pending) return;
        pending = true;
        requestAnimationFrame(() => { pending = false; all(); });
    };
    const start = () => {
        new MutationObserver(soon).observe(document.body, {childList: true, subtree: true});
        for (const root of [document.documentElement, document.body])
            new MutationObserver(soon).observe(root, {attributes: true, attributeFilter: ["class"]});
        soon();
    };
    if (document.body) start(); else document.addEventListener("DOMContentLoaded", start);
})();
</script>"""

CSS = """
/* Error toasts keep their line breaks: which model and why, then what to do, in each language. */
[data-testid="toast-text"] { white-space: pre-line; }
/* On a phone Plotly's toolbar sat over the plot's title and labels; pinching still zooms. */
@media (max-width: 640px) {
    .js-plotly-plot .modebar-container { display: none !important; }
}
"""
