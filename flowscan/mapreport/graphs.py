"""Graphviz DOT and GraphML from the map's networkx graph, for graph tools (Gephi,
yEd, `dot -Tsvg`). Nodes and edges keep the map's ids and attributes."""

from __future__ import annotations

from typing import Any

from flowscan.datamap import to_networkx

SHAPES = {"field": "note", "source": "box", "transform": "ellipse", "sink": "box",
          "vendor": "doubleoctagon"}
COLORS = {"error": "#c62828", "warning": "#ef6c00", "note": "#1565c0", "none": "#757575"}


class GraphmlRenderer:
    name = "graphml"

    def render(self, doc: dict[str, Any], **options: Any) -> str:
        import networkx as nx

        return "\n".join(nx.generate_graphml(to_networkx(doc), prettyprint=True)) + "\n"


class DotRenderer:
    name = "dot"

    def render(self, doc: dict[str, Any], **options: Any) -> str:
        """Written by hand from the networkx graph (no pydot/pygraphviz needed), in the
        graph's sorted order so equal maps give equal files."""
        g = to_networkx(doc)
        risk = {v["id"]: v["risk"]["level"] for v in doc["vendors"]}
        level_of = {"high": "error", "medium": "warning", "low": "note"}
        lines = [f"digraph {_q(g.graph.get('name', 'flowscan'))} {{", "  rankdir=LR;",
                 '  node [fontname="Helvetica", fontsize=10];',
                 '  edge [fontname="Helvetica", fontsize=8];']
        for nid, attrs in g.nodes(data=True):
            kind = attrs.get("kind", "")
            label = str(attrs.get("label", nid))
            if kind in ("source", "transform", "sink"):
                label += f"\\n{attrs.get('path', '')}:{attrs.get('line', '')}"
            extra = ""
            if kind == "vendor":
                color = COLORS.get(level_of.get(risk.get(attrs.get("vendor", ""), ""), ""),
                                   COLORS["none"])
                extra = f', style=filled, fillcolor="{color}", fontcolor=white'
            lines.append(f"  {_q(nid)} [label={_q(label, raw=True)}, "
                         f"shape={SHAPES.get(kind, 'box')}, kind={_q(kind)}{extra}];")
        for a, b, attrs in g.edges(data=True):
            label = attrs.get("categories", "") if attrs.get("kind") == "sends" else ""
            lines.append(f"  {_q(a)} -> {_q(b)} [kind={_q(attrs.get('kind', ''))}, "
                         f"label={_q(label)}, path={_q(attrs.get('path', ''))}, "
                         f"line={attrs.get('line', 0)}];")
        lines.append("}")
        return "\n".join(lines) + "\n"


def _q(value: Any, raw: bool = False) -> str:
    """A DOT quoted id; `raw` keeps the \\n line breaks already in the label."""
    text = str(value).replace("\\", "\\\\") if not raw else str(value).replace(
        "\\", "\\\\").replace("\\\\n", "\\n")
    return '"' + text.replace('"', '\\"').replace("\n", "\\n") + '"'
