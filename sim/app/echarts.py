"""An ECharts figure for Solara whose option travels as one JSON string.

Solara's own FigureEcharts takes the option as a Python tree; with weekly series of hundreds of
points, Solara's renderer walks and compares that tree on every render pass, which costs more
than the model's week. A string is compared and sent in one piece. The browser side
(echarts.vue) loads ECharts from Solara's local asset copy, as FigureEcharts does.
"""

import json

import ipyvuetify
import traitlets


class EchartsWidget(ipyvuetify.VuetifyTemplate):
    template_file = (__file__, "echarts.vue")
    option_json = traitlets.Unicode("{}").tag(sync=True)
    attributes = traitlets.Dict(default_value=None, allow_none=True).tag(sync=True)
    cdn = traitlets.Unicode(None, allow_none=True).tag(sync=True)

    @traitlets.default("cdn")
    def _cdn(self):
        import solara.settings

        return None if solara.settings.assets.proxy else solara.settings.assets.cdn


def Echarts(option: dict, name: str, height: int = 300):
    """The chart ``option`` (an ECharts option dict), ``name`` its data-chart attribute. Not a
    component of its own: the element holds only the string, never the dict."""
    text = json.dumps(option, separators=(",", ":"))
    return EchartsWidget.element(option_json=text, attributes={
        "style": f"height: {height}px; width: 100%;", "data-chart": name})
