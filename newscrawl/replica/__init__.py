"""The bundled portal: a local replica of a VSB/博达 university news site for demo, tests and benchmarks."""
from newscrawl.replica.content import COLUMNS, SEED, ReplicaArticle
from newscrawl.replica.server import serve
from newscrawl.replica.site import Faults, Site

__all__ = ["COLUMNS", "SEED", "Faults", "ReplicaArticle", "Site", "serve"]
