"""The item pipeline that puts each article's view count on it, read by `ViewCountReader`."""
from __future__ import annotations

from newscrawl.items import Article
from newscrawl.viewcounts.reader import ViewCountReader


class ViewCountPipeline:
    """Fills ``Article.view_count`` and ``view_count_method`` before the article is archived.

    It waits for the count (media pipelines fetch images the same way), so an article is
    never stored ahead of its count. A count that cannot be read costs one retry; then the
    article is stored without it, and the reader has sent a ``view_count`` failure for its URL.
    """

    def __init__(self, reader: ViewCountReader):
        self.reader = reader

    @classmethod
    def from_crawler(cls, crawler):
        return cls(ViewCountReader.from_crawler(crawler))

    async def process_item(self, item):
        if isinstance(item, Article):
            reading = await self.reader.read(item)
            if reading is not None:
                item.view_count, item.view_count_method = reading
        return item
