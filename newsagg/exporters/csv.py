"""Spreadsheet-safe CSV: the ``csv`` feed format (``FEED_EXPORTERS``).

UTF-8 (``NEWSAGG_CSV_BOM``: with a BOM), a header row even in an empty file,
columns in :data:`newsagg.items.FIELDS` order, RFC 4180 quoting; a text cell
that a spreadsheet would run as a formula gets one ``'`` prepended
(``NEWSAGG_CSV_NEUTRALIZE``), which :func:`unescape_cell` undoes exactly.
docs/ARCHITECTURE.md "Files".
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from scrapy.exporters import CsvItemExporter

from newsagg.config import setting
from newsagg.items import ArticleItem

#: First characters a spreadsheet may treat as a formula.
FORMULA_CHARS = ("=", "+", "-", "@", "\t", "\r")


def neutralize_cell(value: Any) -> Any:
    """Prefix one ``'`` to a string that would start a formula (docs/ARCHITECTURE.md "Files")."""
    if isinstance(value, str) and value.lstrip("'").startswith(FORMULA_CHARS):
        return "'" + value
    return value


def unescape_cell(value: str) -> str:
    """Inverse of :func:`neutralize_cell` for a cell read back from our CSV."""
    if value.startswith("'") and value.lstrip("'").startswith(FORMULA_CHARS):
        return value[1:]
    return value


class SafeCsvItemExporter(CsvItemExporter):
    """CSV exporter with BOM option, header-always and formula neutralisation."""

    def __init__(self, file, *, bom: bool = False, neutralize: bool = True, **kwargs: Any):
        super().__init__(file, **kwargs)
        self.bom = bom
        self.neutralize = neutralize

    @classmethod
    def from_crawler(cls, crawler, file, *args: Any, **kwargs: Any):
        settings = crawler.settings
        kwargs.setdefault("bom", settings.getbool("NEWSAGG_CSV_BOM"))
        kwargs.setdefault("neutralize", setting(settings, "NEWSAGG_CSV_NEUTRALIZE", "getbool"))
        return cls(file, *args, **kwargs)

    def start_exporting(self) -> None:
        if self.bom:
            self.stream.write("\ufeff")
        # The header is written here, not at the first item: an empty run
        # still yields a well-formed file. Public attributes only: the header
        # row goes through ``csv_writer``, then ``include_headers_line`` is
        # turned off so that the first item does not write it again.
        if self.include_headers_line and self.fields_to_export:
            fields = self.fields_to_export
            self.csv_writer.writerow(list(fields.values() if isinstance(fields, Mapping) else fields))
            self.include_headers_line = False

    def serialize_field(self, field, name: str, value: Any) -> Any:
        value = super().serialize_field(field, name, value)
        return neutralize_cell(value) if self.neutralize else value

    def get_serialized_fields(self, item: Any, default_value: Any = None, include_empty: bool | None = None):
        """Scrapy's, without its per-field adapter and meta lookups for the usual case
        (~25 µs an item): an :class:`ArticleItem`, every column one of its fields
        (none has a serializer: the cell is the value, a list joined, then neutralised)."""
        fields = self.fields_to_export
        if not (
            include_empty
            and type(item) is ArticleItem
            and isinstance(fields, (list, tuple))
            and _PLAIN_FIELDS.issuperset(fields)
        ):
            return super().get_serialized_fields(item, default_value, include_empty)
        out = []
        for name in fields:
            value = getattr(item, name)
            if isinstance(value, (list, tuple)):
                value = self.serialize_field(_NO_META, name, value)
            elif self.neutralize:
                value = neutralize_cell(value)
            out.append((name, value))
        return out


#: ArticleItem's fields without a serializer (all of them): their cell is the value itself.
_PLAIN_FIELDS = frozenset(f.name for f in dataclasses.fields(ArticleItem) if "serializer" not in f.metadata)
_NO_META: Mapping[str, Any] = MappingProxyType({})
