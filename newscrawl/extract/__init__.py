"""Page to fields: pure functions over HTML, no I/O, what the tests hit hardest."""
from newscrawl.extract.article import ExtractionError, extract
from newscrawl.extract.listing import Listing, extract_listing

__all__ = ["ExtractionError", "Listing", "extract", "extract_listing"]
