"""The bundled portals: local replicas of a VSB/博达 and a WebPlus/苏迪 university news site for demo, tests and benchmarks."""
from newscrawl.replica.content import COLUMNS, SEED, ReplicaArticle
from newscrawl.replica.server import serve
from newscrawl.replica.site import Faults, Site
from newscrawl.replica.webplus import WebPlusSite

__all__ = ["COLUMNS", "SEED", "Faults", "ReplicaArticle", "Site", "WebPlusSite", "serve"]
