"""The error a catalog that cannot be used raises, listing every problem by field path."""


class CatalogError(ValueError):
    """A catalog failed to parse or validate; ``problems`` name each bad field's path."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        listed = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"invalid catalog {source}:\n{listed}")
