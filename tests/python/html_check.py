"""A strict reader of the report's HTML for tests: well-formedness, ids, tables, SVG marks.

html.parser is lenient (it never raises on bad markup), so this parser keeps a stack of open
elements and records an error for every end tag that does not close the innermost open element,
every element left open at the end and every duplicate id.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    ancestors: list[Element] = field(default_factory=list, repr=False)
    text: str = ""


class StrictParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.errors: list[str] = []
        self.elements: list[Element] = []
        self.ids: dict[str, Element] = {}
        self.doctype: str | None = None
        self._stack: list[Element] = []

    def handle_decl(self, decl: str) -> None:
        self.doctype = decl

    def _open(self, tag: str, attrs: list[tuple[str, str | None]], closes: bool) -> None:
        el = Element(tag, {k: (v if v is not None else "") for k, v in attrs}, list(self._stack))
        self.elements.append(el)
        if "id" in el.attrs:
            if el.attrs["id"] in self.ids:
                self.errors.append(f"duplicate id {el.attrs['id']!r} (line {self.getpos()[0]})")
            self.ids[el.attrs["id"]] = el
        if not closes and tag not in VOID:
            self._stack.append(el)

    def handle_starttag(self, tag, attrs):
        self._open(tag, attrs, closes=False)

    def handle_startendtag(self, tag, attrs):
        self._open(tag, attrs, closes=True)

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self._stack or self._stack[-1].tag != tag:
            open_tag = self._stack[-1].tag if self._stack else None
            self.errors.append(f"</{tag}> closes <{open_tag}> at line {self.getpos()[0]}")
            return
        self._stack.pop()

    def handle_data(self, data):
        for el in self._stack:
            el.text += data

    def close(self) -> None:
        super().close()
        for el in self._stack:
            self.errors.append(f"<{el.tag}> never closed")


def parse(doc: str) -> StrictParser:
    p = StrictParser()
    p.feed(doc)
    p.close()
    return p


def inside(p: StrictParser, ancestor_id: str, tag: str, cls: str | None = None) -> list[Element]:
    """Elements `tag` (with class `cls`) under the element with id `ancestor_id`."""
    anc = p.ids[ancestor_id]
    return [
        e
        for e in p.elements
        if e.tag == tag
        and any(a is anc for a in e.ancestors)
        and (cls is None or cls in e.attrs.get("class", "").split())
    ]


def table_rows(p: StrictParser, table_id: str) -> list[dict[str, str]]:
    """Rows of the report table `table_id` as {data-col: data-value}."""
    rows = []
    for tr in inside(p, table_id, "tr"):
        cells = [e for e in p.elements if e.tag == "td" and e.ancestors and e.ancestors[-1] is tr]
        if cells:
            rows.append({c.attrs["data-col"]: c.attrs["data-value"] for c in cells})
    return rows


def table_text(p: StrictParser, table_id: str) -> list[dict[str, str]]:
    """Rows of the report table `table_id` as {data-col: printed text}."""
    rows = []
    for tr in inside(p, table_id, "tr"):
        cells = [e for e in p.elements if e.tag == "td" and e.ancestors and e.ancestors[-1] is tr]
        if cells:
            rows.append({c.attrs["data-col"]: c.text for c in cells})
    return rows


def shown_text(p: StrictParser, el: Element) -> str:
    """The visible text of an SVG <text> element: its text without that of its <title> tooltip."""
    tips = [e.text for e in p.elements if e.tag == "title" and e.ancestors and e.ancestors[-1] is el]
    return el.text[: len(el.text) - sum(len(t) for t in tips)] if tips else el.text


def texts_outside(svg: str) -> list[str]:
    """Every <text> whose anchor point (x, y, after a translate) leaves the chart's viewBox, and
    every axis label longer than audience.charts.plots.MAX_LABEL_CHARS, as 'text: why'.

    matplotlib crops each chart to what it draws (bbox_inches='tight', measured with its own
    font metrics), so a text anchored inside the viewBox and not overlong stays readable."""
    import re

    from audience.charts.plots import MAX_LABEL_CHARS

    p = parse(svg)
    root = next(e for e in p.elements if e.tag == "svg")
    _, _, width, height = (float(v) for v in root.attrs["viewbox"].split())
    bad = []
    for e in p.elements:
        if e.tag != "text":
            continue
        shown = shown_text(p, e)
        if "x" in e.attrs:
            x, y = float(e.attrs["x"]), float(e.attrs["y"])
        else:
            x, y = (
                float(v)
                for v in re.search(r"translate\(([-\d.]+) ([-\d.]+)\)", e.attrs["transform"]).groups()
            )
        if not (0 <= x <= width and 0 <= y <= height):
            bad.append(f"{shown!r}: at ({x:.1f}, {y:.1f}) outside {width:g} x {height:g}")
        if (
            any(a.attrs.get("class") in ("xtick", "ytick") for a in e.ancestors)
            and len(shown) > MAX_LABEL_CHARS
        ):
            bad.append(f"{shown!r}: {len(shown)} characters")
    return bad
