"""The exceptions agora raises. Each carries what the CLI's message names.

- :class:`ValidationError`: an instance (file or frames), a solution or a log that does not
  validate; ``file``, ``entity``, ``field`` of the first finding, and every finding.
- :class:`SettingsError`: a settings value out of range; ``field``.
- :class:`SolveError`: something prevented a solve (not a status: an infeasible day is a
  solution whose ``status`` says so).
- :class:`RefusedError`: a request agora refuses (a solution of another day, a plan that breaks a
  rule, a sweep that does not parse).

Ctrl-C during a long call raises the usual ``KeyboardInterrupt``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, List, Optional, Sequence, Tuple

__all__ = ["AgoraError", "Finding", "ValidationError", "SettingsError", "SolveError", "RefusedError"]


class AgoraError(Exception):
    """Base class of agora's errors."""


@dataclass(frozen=True)
class Finding:
    """One problem the validator found: the entity (``segment "us-teen"``, ``edge #4 (s -> i)``),
    the field (``supply``; empty when the finding is about the entity as a whole) and what is
    wrong."""

    entity: str
    field: str
    message: str

    def __str__(self) -> str:
        if self.field:
            return f'{self.entity}, field "{self.field}": {self.message}'
        return f"{self.entity}: {self.message}"


class ValidationError(AgoraError, ValueError):
    """Input that does not validate. ``file`` is the file (``<frames>`` for data frames),
    ``findings`` every problem, ``entity`` and ``field`` those of the first."""

    def __init__(self, message: str, file: str, findings: Iterable[Sequence[str]] = ()):
        super().__init__(message)
        self.file: str = file
        self.findings: List[Finding] = [Finding(*f) for f in findings]
        first: Optional[Finding] = self.findings[0] if self.findings else None
        self.entity: Optional[str] = first.entity if first else None
        self.field: Optional[str] = first.field if first else None


class SettingsError(AgoraError, ValueError):
    """A settings value out of its range; ``field`` names it."""

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.field: str = field


class SolveError(AgoraError):
    """Something prevented a solve (a backend failure, an unsupported model)."""


class RefusedError(AgoraError, ValueError):
    """A request agora refuses: a solution of another day or not optimal, a plan that breaks a
    rule, a sweep that does not parse, logs that do not fit the day."""


def _findings(e: ValidationError) -> List[Tuple[str, str, str]]:
    return [(f.entity, f.field, f.message) for f in e.findings]
