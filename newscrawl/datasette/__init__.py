"""The archive in Datasette: the shipped metadata fitted to a file, the charts, our plugin and templates."""
from __future__ import annotations

import json
import urllib.parse
from importlib import resources
from pathlib import Path

from newscrawl import charts

TEMPLATES = Path(__file__).parent / "templates"
# The plugins the reading room is built on, and how to install them (the `datasette` extra).
INSTALL = "pip install 'newscrawl[datasette]'"


def metadata_for(db_path: Path) -> dict:
    """The shipped Datasette metadata, keyed by ``db_path``'s name as Datasette names it,
    with the charts (datasette-dashboards) reading that database."""
    metadata = json.loads(resources.files("archive").joinpath("datasette-metadata.json").read_text(encoding="utf-8"))
    name = db_path.stem
    metadata["databases"] = {name: metadata["databases"]["news"]}
    metadata["description_html"] = metadata["description_html"].replace("/news/", f"/{urllib.parse.quote(name)}/")
    metadata.setdefault("plugins", {})["datasette-dashboards"] = charts.dashboards(name)
    return metadata


def build(db_path: Path, *, immutable: bool):
    """A Datasette of the archive at ``db_path``, read-only (immutable: no other process
    writes it), with the reading room's plugin and templates."""
    from datasette.app import Datasette
    from datasette.plugins import pm

    from newscrawl.datasette import plugin

    if not pm.is_registered(plugin):
        pm.register(plugin, name="newscrawl-reading-room")
    files = [str(db_path)]
    return Datasette(
        [] if immutable else files,
        immutables=files if immutable else [],
        metadata=metadata_for(db_path),
        template_dir=str(TEMPLATES),
    )
