"""NewsCrawl's tests (a package, so that an installed package named `tests`, as pywb ships, cannot shadow it)."""
