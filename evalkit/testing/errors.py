"""An API error as OpenAI reports it: an HTTP status and ``{"error": {message, type, param, code}}``.

Validation deep inside request reading raises it; the HTTP layer sends it and a batch writes
it into the error file, so both answer a bad request with the same body.
"""

from __future__ import annotations

from typing import Any


class APIError(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        kind: str = "invalid_request_error",
        param: str | None = None,
        code: str | None = None,
    ):
        super().__init__(message)
        self.status = status
        self.message = message
        self.kind = kind
        self.param = param
        self.code = code

    def body(self) -> dict[str, Any]:
        return {
            "error": {
                "message": self.message,
                "type": self.kind,
                "param": self.param,
                "code": self.code,
            }
        }


def bad_request(message: str, param: str | None = None, code: str | None = None) -> APIError:
    return APIError(400, message, "invalid_request_error", param, code)


def not_found(message: str, param: str | None = None) -> APIError:
    return APIError(404, message, "invalid_request_error", param, None)
