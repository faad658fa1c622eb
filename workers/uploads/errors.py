"""Typed errors of the uploads API, each with its HTTP status and a machine-readable code."""

from __future__ import annotations


class UploadApiError(Exception):
    """A request the API refuses; rendered as `{"error": code, "message": message}`."""

    status = 500
    code = "internal_error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class BadRequestError(UploadApiError):
    status = 400
    code = "bad_request"


class InvalidFilenameRequestError(BadRequestError):
    code = "invalid_filename"


class EmptyFileRequestError(BadRequestError):
    code = "empty_file"


class InvalidRoleRequestError(BadRequestError):
    """A `role` that is not `track`, `stem` or `cover`."""

    code = "invalid_role"


class RoleMismatchRequestError(BadRequestError):
    """A file whose kind contradicts its role (a `.wav` cover, an `.mp3` stem)."""

    code = "role_mismatch"


class IncompleteUploadError(BadRequestError):
    code = "incomplete_upload"


class UnauthorizedError(UploadApiError):
    status = 401
    code = "unauthorized"


class ForbiddenError(UploadApiError):
    status = 403
    code = "forbidden"


class UploadNotFoundError(UploadApiError):
    status = 404
    code = "no_such_upload"


class FileTooLargeError(UploadApiError):
    status = 413
    code = "file_too_large"


class QuotaExceededRequestError(UploadApiError):
    status = 413
    code = "quota_exceeded"


class BusyError(UploadApiError):
    status = 503
    code = "busy"


class UpstreamError(UploadApiError):
    status = 502
    code = "storage_error"
