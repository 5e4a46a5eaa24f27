"""The error a catalog that cannot be used raises, listing every problem by field path."""


class CatalogError(ValueError):
    """A catalog failed to parse or validate; ``problems`` name each bad field's path."""

    def __init__(self, source: str, problems: list[str]) -> None:
        self.source = source
        self.problems = problems
        listed = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"invalid catalog {source}:\n{listed}")

    def __reduce__(self) -> tuple[type["CatalogError"], tuple[str, list[str]]]:
        """Pickle by its fields, so that the error crosses from a child process intact."""
        return (CatalogError, (self.source, self.problems))
