"""The catalog store's revisions, oldest first: ``0001_initial``, ``0002_version_counter``."""
