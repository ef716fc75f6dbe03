"""Reading a gr.Plot value the way plotly.js will (the tabs write figures as JSON, demos/common.plotly_plot)."""

from __future__ import annotations

import json


def figure_of(plot) -> dict:
    """The figure inside a gr.Plot value: {"data": [traces], "layout": {...}}."""
    assert plot.type == "plotly"
    return json.loads(plot.plot)
