"""Tables and links of a page as a user reads them: the one HTML reader the page tests share."""
from __future__ import annotations

from html.parser import HTMLParser


class PageTables(HTMLParser):
    """Every table's rows as cell texts (whitespace collapsed, entities decoded), keyed by the table's id
    (its position when it has none), and every link's href by its text.

    ``tables`` holds every row, header cells included; ``body_rows`` only the ``<td>`` cells of rows in
    ``<tbody>``; ``row_links`` each row's hrefs, parallel to ``tables``.
    """

    def __init__(self):
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.body_rows: dict[str, list[list[str]]] = {}
        self.row_links: dict[str, list[list[str]]] = {}
        self.links: dict[str, str] = {}
        self._table = self._row = self._cell = self._href = None
        self._in_body = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self._table = attrs.get("id") or str(len(self.tables))
            for parts in (self.tables, self.body_rows, self.row_links):
                parts.setdefault(self._table, [])
        elif tag == "tbody" and self._table is not None:
            self._in_body = True
        elif tag == "tr" and self._table is not None:
            self._row = []
            self.tables[self._table].append(self._row)
            self.row_links[self._table].append([])
            if self._in_body:
                self.body_rows[self._table].append([])
        elif tag in ("td", "th") and self._row is not None:
            self._cell, self._cell_tag = [], tag
        elif tag == "a":
            self._href, self._text = attrs.get("href"), []
            if self._row is not None:
                self.row_links[self._table][-1].append(attrs.get("href"))

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            text = " ".join("".join(self._cell).split())
            self._row.append(text)
            if self._in_body and self._cell_tag == "td":
                self.body_rows[self._table][-1].append(text)
            self._cell = None
        elif tag == "tbody":
            self._in_body = False
        elif tag == "table":
            self._table = self._row = None
            self._in_body = False
        elif tag == "a" and self._href is not None:
            self.links[" ".join("".join(self._text).split())] = self._href
            self._href = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell.append(data)
        if self._href is not None:
            self._text.append(data)


def page_tables(html: str) -> PageTables:
    tables = PageTables()
    tables.feed(html)
    tables.close()
    return tables
