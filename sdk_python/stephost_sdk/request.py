"""The `req` an API handler receives.

Classic Motia passed a plain dict while its docs showed `req.body`, so projects
use both spellings. `Request` is a real dict (json.dumps, `req.get("body")`,
`isinstance(req, dict)` all keep working) that also answers attribute access,
including for keys middleware adds (`req.user = ...` or `req["user"] = ...`).
"""

from __future__ import annotations

import copy
from typing import Any

# The keys every request carries, with the value used when the host omits one.
_DEFAULTS: dict[str, Any] = {
    "body": None,
    "headers": {},
    "pathParams": {},
    "queryParams": {},
    "rawBody": "",
}


class Request(dict[str, Any]):
    """A dict with attribute access to its keys.

    Dict methods win over keys of the same name (`req.items` is the method); use
    `req["items"]` for such keys. Attribute reads are typed `Any`, so handlers
    type-check whichever spelling they use.
    """

    __slots__ = ()

    @classmethod
    def from_payload(cls, payload: Any) -> Request:
        """Build the request from an API Invoke payload (a JSON object)."""
        req = cls(payload if isinstance(payload, dict) else {})
        for key, default in _DEFAULTS.items():
            if key not in req:
                req[key] = copy.copy(default)
        return req

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(f"request has no field {name!r}") from None

    def __setattr__(self, name: str, value: Any) -> None:
        self[name] = value

    def __delattr__(self, name: str) -> None:
        try:
            del self[name]
        except KeyError:
            raise AttributeError(f"request has no field {name!r}") from None
