"""Spiders: one shared VSB portal spider, and one small declarative class per portal."""
