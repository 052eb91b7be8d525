"""`-s NAME=VALUE` on the command line: parsed, and checked against the kind of value the setting takes.

Scrapy reads a setting only when the component that needs it starts, mid-crawl: a cron line
with `-s DOWNLOAD_DELAY=1s` or `-s CLOSESPIDER_TIMEOUT=6h` was a Twisted traceback of a
hundred lines, and `-s DOWNLOAD_DELAYS=0` was silently ignored. Here they are one line before
any request: a value must be of the kind of the setting's default (a flag, a whole number, a
number of seconds), finite, and not negative unless the default is; a name one typo away
from a known setting is taken for that typo.
"""
from __future__ import annotations

import math

import click

# Scrapy writes these durations' defaults as whole numbers (CLOSESPIDER_TIMEOUT = 0) but reads
# them as floats, so 0.5 is a good value: a name ending so takes any number of seconds.
_SECONDS = ("DELAY", "TIMEOUT", "INTERVAL", "WAIT", "LEASE", "TTL", "JITTER", "RECHECK", "POLL", "_MAX", "_BASE")


def parse(items: tuple[str, ...]) -> dict[str, str]:
    """``NAME=VALUE`` items as settings, each checked; a bad one is a click.UsageError."""
    settings: dict[str, str] = {}
    defaults = _defaults()
    for item in items:
        name, sep, value = item.partition("=")
        if not sep:
            raise click.UsageError(f"-s needs NAME=VALUE, got {item!r}")
        problem = check(name, value, defaults)
        if problem:
            raise click.UsageError(f"-s {problem}")
        settings[name] = value
    return settings


def _defaults():
    from scrapy.settings import Settings

    settings = Settings()
    settings.setmodule("newscrawl.settings", priority="project")
    return settings


def check(name: str, value: str, defaults) -> str | None:
    """What is wrong with ``value`` for the setting ``name`` (None: nothing we can tell)."""
    if name not in defaults:
        typo = next((known for known in defaults if _one_typo(name, known)), None)
        return f"{name} is no setting (did you mean {typo}?)" if typo else None
    default = defaults[name]
    if isinstance(default, bool):
        try:
            _as_bool(value)
        except ValueError:
            return f"{name} must be True or False (1 or 0), got {value!r}"
        return None
    if not isinstance(default, (int, float)):
        return None
    seconds = name.endswith(_SECONDS)
    if isinstance(default, int) and not seconds:
        try:
            number: float = int(value)
        except ValueError:
            return f"{name} must be a whole number, got {value!r}"
    else:
        try:
            number = float(value)
        except ValueError:
            number = math.nan
        if not math.isfinite(number):
            return f"{name} must be a number{' of seconds' if seconds else ''}, got {value!r}"
    if number < 0 <= default:
        return f"{name} must be at least 0, got {value!r}"
    return None


def _as_bool(value: str) -> bool:
    """As Scrapy's ``Settings.getbool`` reads a string."""
    text = value.strip()
    if text in ("True", "true"):
        return True
    if text in ("False", "false"):
        return False
    return bool(int(text))


def _one_typo(name: str, known: str) -> bool:
    """Is ``name`` ``known`` with one letter wrong, missing, extra or swapped, or in other case?
    (Longer names only: two short names of Scrapy's may well be that close.)"""
    if len(known) < 8 or name == known:
        return False
    if name.upper() == known:
        return True
    if len(name) == len(known):
        diff = [i for i, (a, b) in enumerate(zip(name, known)) if a != b]
        return len(diff) == 1 or (len(diff) == 2 and diff[1] == diff[0] + 1
                                  and name[diff[0]] == known[diff[1]] and name[diff[1]] == known[diff[0]])
    short, long = sorted((name, known), key=len)
    if len(long) - len(short) != 1:
        return False
    return any(long[:i] + long[i + 1:] == short for i in range(len(long)))
