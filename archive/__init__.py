"""The SQLite archive: schema (as migrations), writing items, and reading them back."""
