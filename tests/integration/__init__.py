"""Tests against real databases: SQLite files and a PostgreSQL server on loopback."""
