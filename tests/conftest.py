"""Shared fixtures: a small real archive file, and running the `newscrawl` command on it."""
import shutil
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent))
from archive_data import build_archive  # noqa: E402

from archive.cli import cli  # noqa: E402


@pytest.fixture(scope="session")
def news_db(tmp_path_factory) -> Path:
    """The dozen-article archive, built once; tests that write take ``writable_db``."""
    return build_archive(tmp_path_factory.mktemp("archive") / "news.db")


@pytest.fixture
def writable_db(news_db, tmp_path) -> Path:
    copy = tmp_path / "news.db"
    shutil.copyfile(news_db, copy)
    return copy


@pytest.fixture
def newscrawl(news_db):
    """Run `newscrawl ARGS...` against the shared archive (``--db`` added unless given)."""

    def run(*args: str, db: Path | None = None):
        args = list(args) + ([] if "--db" in args else ["--db", str(db or news_db)])
        result = CliRunner().invoke(cli, args, catch_exceptions=False)
        return result

    return run
