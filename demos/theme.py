"""The page's behaviour beyond Gradio's theme: plots that follow light and dark mode, answers that
say when they are stale, and phone fixes. app.py passes CSS and HEAD to launch() and calls
mark_results_stale_on_edit.

Plotly draws its figures with colours fixed in the figure (white paper, dark grey text), which stayed
bright white in dark mode. The figures are made with transparent backgrounds and grey grid lines,
readable on either page (PLOT_LOOK, applied by common.plotly_plot), and a script gives their text the
colour of the page's text.
"""

from __future__ import annotations

from typing import Any

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

# Plots: Gradio's plot component draws with plotly.js and leaves it as window.Plotly. After each drawing
# of a figure (a new answer, a redraw while training) its text gets the colour its block's text has in the
# current mode; a switch between light and dark (the body's class) recolours every figure.
# Stale answers: see mark_results_stale_on_edit.
HEAD = """<script>
(() => {
    // ``task`` once in the next frame, however many changes ask for it before then.
    const onceAFrame = (task) => {
        let pending = false;
        return () => {
            if (pending) return;
            pending = true;
            requestAnimationFrame(() => { pending = false; task(); });
        };
    };
    const whenReady = (start) => document.body ? start() : document.addEventListener("DOMContentLoaded", start);

    const recolour = (plot) => {
        if (!window.Plotly || !plot._fullLayout) return;
        const colour = getComputedStyle(plot).color;
        if (!colour || plot._fullLayout.font.color === colour) return;
        window.Plotly.relayout(plot, {"font.color": colour});
    };
    // A figure's text alternative (demos/plot_text.py), under it: a sentence, and its data in a closed table.
    // Plotly's own drawing is hidden from screen readers, which read these instead.
    const english = () => (document.documentElement.lang || "").startsWith("en");
    const inLanguage = (text) => text.includes(" / ") ? text.split(" / ")[english() ? 1 : 0] : text;
    const cell = (tag, text, scope) => {
        const element = document.createElement(tag);
        element.textContent = text;
        if (scope) element.scope = scope;
        return element;
    };
    const describe = (plot) => {
        const text = plot.layout && plot.layout.meta && plot.layout.meta.jnlp_text;
        let box = plot.nextElementSibling;
        if (!(box && box.classList.contains("jnlp-plot-text"))) {
            if (!text) return;
            box = document.createElement("div");
            box.className = "jnlp-plot-text";
            plot.after(box);
        }
        if (!text) { box.remove(); return; }
        if (box.jnlpText === text) return;
        box.jnlpText = text;
        plot.querySelectorAll(".main-svg").forEach((svg) => svg.setAttribute("aria-hidden", "true"));
        const wasOpen = !!box.querySelector("details[open]");
        const sentence = cell("p", text.summary[english() ? "en" : "ja"]);
        const parts = [sentence];
        if (text.rows.length) {
            const details = document.createElement("details");
            details.open = wasOpen;
            details.append(cell("summary", english() ? "The data as a table" : "データを表で見る"));
            const scroller = document.createElement("div");
            scroller.tabIndex = 0;  // a region that scrolls must be reachable by keyboard
            scroller.setAttribute("role", "region");
            scroller.setAttribute("aria-label", sentence.textContent);
            const table = document.createElement("table");
            const head = table.createTHead().insertRow();
            text.header.forEach((name) => head.append(cell("th", inLanguage(name), "col")));
            const body = table.createTBody();
            for (const values of text.rows) {
                const row = body.insertRow();
                values.forEach((value, i) => row.append(i === 0 ? cell("th", value, "row") : cell("td", value)));
            }
            scroller.append(table);
            details.append(scroller);
            if (text.more_rows)
                details.append(cell("p", english() ? `… and ${text.more_rows} more rows` : `… ほか ${text.more_rows} 行`));
            parts.push(details);
        }
        box.replaceChildren(...parts);
    };
    const seen = new WeakSet();
    const all = () => document.querySelectorAll(".js-plotly-plot").forEach((plot) => {
        if (!seen.has(plot) && plot.on) {
            seen.add(plot);
            plot.on("plotly_afterplot", () => { recolour(plot); describe(plot); });
        }
        recolour(plot);
        describe(plot);
    });
    const soon = onceAFrame(all);
    whenReady(() => {
        new MutationObserver(soon).observe(document.body, {childList: true, subtree: true});
        for (const root of [document.documentElement, document.body])
            new MutationObserver(soon).observe(root, {attributes: true, attributeFilter: ["class"]});
        soon();
    });

    // Gradio's markup that axe-core flags and the page can mend (tests/browser/test_accessibility_in_browser.py):
    // its empty-value placeholder names itself with aria-label but has no role (aria-prohibited-attr), and
    // the footer's icons repeat their link's words as alt text (image-redundant-alt), and a message's header
    // calls itself a button around its own close button (nested-interactive): the close button stays on the
    // keyboard, folding the message away stays with the pointer.
    const mend = () => {
        document.querySelectorAll("div.empty[aria-label]:not([role])").forEach((box) => box.setAttribute("role", "img"));
        document.querySelectorAll(".toast-header[role=button]").forEach((header) => {
            header.removeAttribute("role");
            header.removeAttribute("tabindex");
        });
        document.querySelectorAll("footer img[alt]:not([alt=''])").forEach((icon) => {
            if (icon.parentElement && icon.parentElement.textContent.includes(icon.alt)) icon.alt = "";
        });
    };
    const mendSoon = onceAFrame(mend);
    whenReady(() => {
        new MutationObserver(mendSoon).observe(document.body, {childList: true, subtree: true});
        mendSoon();
    });

    // Stale answers. The events of each input and each starter, read from their classes once drawn: an
    // example click later resets the input's classes to those Gradio saw when making the examples, without these.
    const remember = () => {
        for (const role of ["in", "run"])
            document.querySelectorAll(`[class*='jnlp-${role}-']:not([data-jnlp-${role}])`).forEach((element) => {
                element.dataset[`jnlp${role === "in" ? "In" : "Run"}`] = [...element.classList]
                    .filter((name) => name.startsWith(`jnlp-${role}-`)).map((name) => name.split("-")[2]).join(" ");
            });
    };
    const answersOf = (element, role) => {
        const tagged = element instanceof Element && element.closest(`[data-jnlp-${role}]`);
        if (!tagged) return [];
        const numbers = tagged.dataset[`jnlp${role === "in" ? "In" : "Run"}`].split(" ");
        // A Markdown output repeats its classes on its text inside the block: the block alone is the answer.
        return numbers.flatMap((number) => [...document.querySelectorAll(`.jnlp-out-${number}`)]
            .filter((answer) => !answer.parentElement.closest(`.jnlp-out-${number}`)));
    };
    const answered = (answer) => {
        // Kept for a run that fails: the answer left on show is still the one the old inputs gave.
        if (answer.classList.contains("jnlp-stale")) answer.dataset.jnlpStaleBefore = "yes";
        answer.classList.remove("jnlp-stale");
        answer.dataset.jnlpAnswered = "yes";
    };
    const failed = (tracker) => {
        const answer = tracker.closest("[class*='jnlp-out-']");
        if (answer && answer.dataset.jnlpStaleBefore) answer.classList.add("jnlp-stale");
    };
    const edited = (event) => {
        remember();
        const starts = new Set(answersOf(event.target, "run"));  // a box that reruns its own event on change
        for (const answer of answersOf(event.target, "in")) {
            if (starts.has(answer) || !answer.dataset.jnlpAnswered) continue;
            // Only an answer on show: not one still running, nor an error's notice, nor an empty note.
            const tracker = answer.querySelector("[data-testid=status-tracker]");
            const running = tracker && !tracker.classList.contains("hide");
            const shown = answer.innerText.trim() || answer.querySelector(".js-plotly-plot");
            if (shown && !running) answer.classList.add("jnlp-stale");
        }
    };
    const started = (event) => {
        if (event.type === "keydown" && event.key !== "Enter") return;
        remember();
        answersOf(event.target, "run").forEach((answer) => {
            answer.dataset.jnlpStaleBefore = "";
            answered(answer);
        });
    };
    document.addEventListener("click", started, true);
    document.addEventListener("keydown", started, true);
    document.addEventListener("input", edited, true);
    document.addEventListener("change", edited, true);
    // Read as inputs are drawn, and again before anything a click or a key could start.
    const rememberSoon = onceAFrame(remember);
    whenReady(() => new MutationObserver(rememberSoon).observe(document.body, {childList: true, subtree: true}));
    for (const kind of ["pointerdown", "keydown"]) document.addEventListener(kind, remember, true);
    // A run started some other way (a shared link) shows the output's status tracker.
    new MutationObserver((records) => {
        for (const record of records) {
            const tracker = record.target;
            if (!(tracker instanceof Element) || tracker.dataset.testid !== "status-tracker") continue;
            // A run starting (hidden until now, shown now), not one ending: an edit made while an answer
            // was on its way leaves that answer stale.
            const hidden = (classes) => classes.split(" ").includes("hide");
            if (!hidden(record.oldValue || "") || hidden(tracker.className)) continue;
            const answer = tracker.closest("[class*='jnlp-out-']");
            if (answer) answered(answer);
        }
    }).observe(document.documentElement, {subtree: true, attributes: true, attributeFilter: ["class"],
                                          attributeOldValue: true});
    // A run that failed: its outputs' trackers show Gradio's error badge (hidden by CSS, the message says it).
    whenReady(() => new MutationObserver((records) => {
        for (const record of records)
            for (const node of record.addedNodes)
                if (node instanceof Element && node.matches(".error") && node.parentElement
                        && node.parentElement.dataset.testid === "status-tracker") failed(node.parentElement);
    }).observe(document.body, {subtree: true, childList: true}));
})();
</script>"""


def mark_results_stale_on_edit(blocks: Any) -> None:
    """Let each answer on the page say so when the inputs it came from have been edited since.

    A student changed a review and read the old probabilities as the new ones. Every event that
    runs a function tags its inputs, its outputs and what starts it (a button, an example, Enter
    in a box) with classes naming the event; the second half of HEAD's script reads them: editing a tagged
    input greys its event's answers with a note, and starting the event again clears it. Call it
    inside the page's ``gr.Blocks``, after every tab is built (Gradio writes the page's settings,
    classes included, when the block closes).
    """
    fns = blocks.fns
    typed_into = {id(c) for fn in fns.values() for c in fn.inputs if getattr(c, "interactive", None) is not False}
    for number, fn in enumerate(fns.values()):
        # Outputs that are themselves inputs (an example filling a box, a token appended to the prompt)
        # are what the student edits, never a stale answer.
        answers = [c for c in fn.outputs if id(c) not in typed_into]
        if fn.fn is None or not fn.inputs or not answers:
            continue
        # What starts it is what starts the first event of its chain of .then() events (a click, a key).
        first = fn
        while first.trigger_after is not None and first.trigger_after in fns:
            first = fns[first.trigger_after]
        starters = [blocks.blocks[target] for target, _ in first.targets if target in blocks.blocks]
        for role, components in (("in", fn.inputs), ("out", answers), ("run", starters)):
            for component in components:
                classes = component.elem_classes if isinstance(component.elem_classes, list) else \
                    [component.elem_classes] if component.elem_classes else []
                component.elem_classes = [*classes, f"jnlp-{role}-{number}"]


def app_theme() -> Any:
    """Gradio's default look with colours that pass WCAG AA (4.5:1) for text: white on the primary buttons'
    orange-700 instead of orange-500 (2.8:1), an accent (selected tabs) that reads in both modes, and grey-500
    instead of the pale grey of hints, slider ends and the footer (1.9:1 on white). Measured with axe-core
    (tests/browser/test_accessibility_in_browser.py)."""
    import gradio as gr

    return gr.themes.Default().set(
        button_primary_background_fill="#c2410c", button_primary_background_fill_dark="#c2410c",
        button_primary_background_fill_hover="#9a3412", button_primary_background_fill_hover_dark="#9a3412",
        button_primary_text_color="#ffffff", button_primary_text_color_dark="#ffffff",
        # The accent colours the selected tab's name, links and focus rings: orange-700 on white (5.2:1);
        # orange-500 was 2.8:1. The theme has no dark variant of it: CSS gives the dark page orange-400.
        color_accent="#c2410c",
        body_text_color_subdued="#6b7280")


CSS = """
/* Error toasts keep their line breaks: which model and why, then what to do, in each language. */
[data-testid="toast-text"] { white-space: pre-line; }
/* An answer whose inputs were edited since it was made (mark_results_stale_on_edit). */
.jnlp-stale > * { opacity: 0.4; }
.jnlp-stale::before {
    content: "入力が変わりました。もう一度実行すると更新されます";
    display: block; margin: 30px 8px 4px; padding: 2px 8px; border-radius: 4px; font-size: var(--text-sm);
    color: var(--body-text-color); background: var(--background-fill-secondary);
    border: 1px solid var(--border-color-primary);
}
.jnlp-stale:lang(en)::before { content: "The input changed: run again to update"; }
/* A run that failed: Gradio put an "Error" badge on each of the event's outputs (seven on the tokenizer tab), over a
   blank box or, on text, over the old words. The message says what went wrong; the outputs keep the answer they had,
   greyed as stale if the inputs had changed since it was made (HEAD's script). */
[data-testid=status-tracker]:has(> .error) { display: none !important; }
/* A plot's text alternative (HEAD's script): its sentence and its data, small, under the plot. */
.jnlp-plot-text { font-size: var(--text-sm); color: var(--body-text-color); padding: 0 var(--spacing-md) var(--spacing-md); }
.jnlp-plot-text p { margin: 2px 0; }
.jnlp-plot-text summary { cursor: pointer; min-height: 24px; }
.jnlp-plot-text [role=region] { max-height: 320px; overflow: auto; }
.jnlp-plot-text table { border-collapse: collapse; font-variant-numeric: tabular-nums; }
.jnlp-plot-text :is(th, td) { border: 1px solid var(--border-color-primary); padding: 1px 6px; text-align: right; }
.jnlp-plot-text th[scope=row], .jnlp-plot-text th[scope=col]:first-child { text-align: left; }
/* Keyboard users see where they are: a ring in the accent colour on whatever has the focus (WCAG 2.4.7), a scrolling
   box too (Chromium lets the keyboard focus one: a busy answer's progress box had no ring). */
/* :is(*, [tabindex]) matches anything with an attribute selector's weight: enough to beat Gradio's own input rules. */
.gradio-container :is(*, [tabindex]):focus-visible {
    outline: 3px solid var(--color-accent) !important; outline-offset: 2px; transition: none !important;
}
/* Targets at least 24 × 24 px (WCAG 2.5.8): Gradio's accordion headers, checkboxes, number boxes, slider tracks, copy and
   reset icons, JSON toggles and footer links, and Plotly's toolbar were 8 to 22 px on a side. */
.gradio-container :is(button.label-wrap, label.checkbox-container, input[type=number], input.border-none, .preview,
                      .modebar-btn, footer a, footer button) { min-height: 24px; }
.gradio-container input[type=range] { height: 24px; }
.gradio-container :is(.icon-button, .reset-button, button.toggle) { min-width: 24px; min-height: 24px; }
.gradio-container footer :is(a, button) { display: inline-flex; align-items: center; }
/* The accent on the dark page: orange-400 (8.4:1 on Gradio's near-black; orange-700 would be 2.6:1). */
.dark .gradio-container { --color-accent: #fb923c; }
/* Named entities: Gradio writes black text on the entity's tint in both modes; on the dark page the tint is
   dark (demos/ner.py's colours), so the text is white there. */
.dark .token.highlighted { color: #ffffff !important; }
/* Section headings are h2 (after the page's h1, for screen readers' outline) at the size of a sub-heading. */
.tabitem .prose h2 { font-size: var(--text-lg); margin-top: var(--spacing-md); }
/* Tables in explanations (steps, anatomy): numbers and English words stay whole on a phone (Gradio's prose
   broke "114" into "11 / 4"); Japanese still wraps between characters. */
.tabitem .prose :is(td, th) { word-break: normal; overflow-wrap: break-word; }
/* Saliency: each word on its colour with its score above it, large enough to read on a projector. */
.jnlp-saliency { font-size: 1.3em; line-height: 2.6; }
.jnlp-saliency ruby { padding: 0 2px; border-radius: 3px; }
.jnlp-saliency rt { font-size: 0.55em; font-variant-numeric: tabular-nums; }
@media (max-width: 640px) {
    /* Plotly's toolbar sat over the plot's title and labels; pinching still zooms. */
    .js-plotly-plot .modebar-container { display: none !important; }
    /* A table too wide for a phone says that it scrolls (the status table: seven columns). */
    .jnlp-wide-table::after {
        content: "← 横にスクロールすると、ほかの列も見られます →";
        display: block; margin: 4px 8px; font-size: var(--text-sm); color: var(--body-text-color-subdued);
    }
    .jnlp-wide-table:lang(en)::after { content: "← scroll sideways for the other columns →"; }
    /* Examples of several inputs (the contextual tab's sentences and word) fit the screen's width. */
    .block > .table-wrap > table { width: 100% !important; table-layout: fixed; }
    .block > .table-wrap :is(td, th, th *) { overflow-wrap: anywhere; white-space: normal !important; }
}
"""
