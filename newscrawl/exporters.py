"""Feed exporters for articles (``scrapy crawl xjtu -O articles.csv``)."""
from __future__ import annotations

from scrapy.exporters import CsvItemExporter
from scrapy.utils.serialize import ScrapyJSONEncoder

from archive.export import neutralise_formula

_JSON = ScrapyJSONEncoder(ensure_ascii=False)


class ArticleCsvExporter(CsvItemExporter):
    """CSV a spreadsheet can take: lists and mappings (credits, images, related) as JSON
    rather than Python's repr, and no cell that a spreadsheet would run as a formula."""

    def serialize_field(self, field, name, value):
        if isinstance(value, (list, tuple, dict)) or hasattr(value, "__dataclass_fields__"):
            value = _JSON.encode(value)
        return neutralise_formula(super().serialize_field(field, name, value))

