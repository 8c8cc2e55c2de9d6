"""Renderers of the data map (flowscan.datamap): one explicit registry, like
flowscan.reporters. Each takes the map dict, never a scan or a parser, so a saved map
JSON renders to any format (`flowscan map --from map.json --format html`)."""

from __future__ import annotations

from typing import Any, Protocol


class MapRenderer(Protocol):
    """Renders a whole map to text. Options a renderer does not know are ignored
    (text: `color`, `width`)."""

    name: str

    def render(self, doc: dict[str, Any], **options: Any) -> str: ...


from flowscan.mapreport.graphs import DotRenderer, GraphmlRenderer  # noqa: E402
from flowscan.mapreport.html import HtmlRenderer  # noqa: E402
from flowscan.mapreport.markdown import MarkdownRenderer  # noqa: E402
from flowscan.mapreport.tabular import CsvRenderer, JsonRenderer  # noqa: E402
from flowscan.mapreport.text import TextRenderer  # noqa: E402

MAP_RENDERERS: dict[str, MapRenderer] = {
    "text": TextRenderer(),
    "json": JsonRenderer(),
    "csv": CsvRenderer(),
    "markdown": MarkdownRenderer(),
    "html": HtmlRenderer(),
    "dot": DotRenderer(),
    "graphml": GraphmlRenderer(),
}

__all__ = ["MAP_RENDERERS", "MapRenderer"]
