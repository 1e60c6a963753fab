"""Problems found in a Kitfile, and the error that carries them.

Parsing and validation collect every problem instead of stopping at the first, so the form can mark all
offending fields at once; each problem names its field with a path in the Kitfile's own key names
(``datasets[1].license``) and, when it came from YAML text, the 1-based line and column.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

from kitlab.errors import InvalidInput

Severity = Literal["error", "warning"]


@dataclass(frozen=True, kw_only=True)
class Problem:
    """One problem; keyword-only so that callers cannot mix up the fields."""

    path: str  # e.g. "datasets[1].license"; "" for the whole file
    line: int | None = None  # 1-based, when known
    column: int | None = None  # 1-based, when known
    message: str
    severity: Severity = "error"

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        at = f" (line {self.line}, column {self.column})" if self.line is not None else ""
        return f"{where}{self.message}{at}"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class KitfileError(InvalidInput):
    """The Kitfile cannot be read; ``problems`` lists everything wrong with it."""

    def __init__(self, problems: list[Problem], *, source: str = "Kitfile") -> None:
        errors = [p for p in problems if p.severity == "error"] or problems
        summary = str(errors[0]) if errors else "invalid Kitfile"
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(
            f"{source}: {summary}{more}",
            details={"source": source, "problems": [p.to_dict() for p in problems]},
        )
        self.problems = problems
        self.source = source
