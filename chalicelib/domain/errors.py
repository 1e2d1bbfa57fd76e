"""Domain errors. Each has a stable `code`; `chalicelib.api.errors` maps them to HTTP problems in one place."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One field- or setting-level problem inside an error."""

    code: str
    message: str
    field: str | None = None
    setting: str | None = None


class DomainError(Exception):
    code = "domain_error"

    def __init__(self, detail: str, problems: tuple[Problem, ...] = ()) -> None:
        super().__init__(detail)
        self.detail = detail
        self.problems = problems


class NotFound(DomainError):
    code = "not_found"


class Forbidden(DomainError):
    code = "forbidden"


class ValidationFailed(DomainError):
    code = "validation_failed"


class BelowMinimumAge(DomainError):
    code = "below_minimum_age"


class AccountExists(DomainError):
    code = "account_exists"


class PreconditionFailed(DomainError):
    code = "precondition_failed"


class Conflict(DomainError):
    code = "conflict"


class ChangeRefused(DomainError):
    """Some requested values need a guardian or are locked for the account's band."""

    code = "locked"

    def __init__(self, detail: str, problems: tuple[Problem, ...]) -> None:
        super().__init__(detail, problems)
        codes = {problem.code for problem in problems}
        self.code = codes.pop() if len(codes) == 1 else "locked"


class InvalidChange(ValidationFailed):
    """Some requested settings are unknown or have values that are not options."""

    def __init__(self, detail: str, problems: tuple[Problem, ...]) -> None:
        super().__init__(detail, problems)
        codes = {problem.code for problem in problems}
        self.code = codes.pop() if len(codes) == 1 else "validation_failed"


class Unavailable(DomainError):
    """Storage is throttled or unreachable; the client may retry."""

    code = "unavailable"


class RateLimited(DomainError):
    code = "rate_limited"

    def __init__(self, detail: str, retry_after_seconds: int) -> None:
        super().__init__(detail)
        self.retry_after_seconds = retry_after_seconds


class BadRequest(DomainError):
    """A request the service cannot act on at all (a missing required header)."""

    code = "bad_request"

    def __init__(self, detail: str, code: str) -> None:
        super().__init__(detail)
        self.code = code


class IdempotencyKeyReused(ValidationFailed):
    code = "idempotency_key_reused"


class RequestInProgress(Conflict):
    code = "request_in_progress"


class AlreadyDecided(Conflict):
    code = "already_decided"


class CaseChanged(PreconditionFailed):
    """The case gained reports since the moderator read it: nothing was decided; read it again."""

    code = "case_changed"


class PreconditionRequired(DomainError):
    """A write that must name the revision it saw came without If-Match (428)."""

    code = "precondition_required"


class AppealWindowClosed(Conflict):
    code = "appeal_window_closed"


class AppealExists(Conflict):
    code = "appeal_exists"


class ConflictOfInterest(Forbidden):
    """The moderator who made a decision may not decide its appeal."""

    code = "conflict_of_interest"


class InvalidCursorError(BadRequest):
    """A paging cursor the service did not give out for this list."""

    def __init__(self) -> None:
        super().__init__("next is not a cursor this service gave out for this list", "invalid_cursor")


class SignUpConflict(AccountExists):
    """Any sign-up for an existing account that is not a replay: one answer, whatever details it names."""
