"""Run one invocation of the user's step: middleware, handler, result mapping.

The calling conventions are Motia's: API `handler(req, context)` after the
middleware chain, event `handler(data, context)`, cron `handler(context)`, and a
stream file's `canAccess(subscription, auth_context)`. Every user function may be
`async def` or plain (see bridge.py).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import traceback
from collections.abc import Callable, Sequence
from typing import Any, Final

from . import encoding
from .bridge import Bridge
from .context import Context
from .errors import HANDLER_ERROR, InvalidResponseError
from .messages import ErrorInfo, Failed, Invocation, Ok, Outcome, Trigger
from .request import Request
from .response import to_api_response


async def run_invocation(
    handler: Callable[..., Any],
    middleware: Sequence[Callable[..., Any]],
    invocation: Invocation,
    context: Context,
    bridge: Bridge,
) -> Outcome:
    """Run the step for `invocation` and return its outcome; never raises an
    Exception (asyncio.CancelledError passes through to the canceller).

    A handler or middleware exception becomes HANDLER_ERROR with the class name
    and traceback; an API result that is not a response becomes INVALID_RESPONSE.
    """
    try:
        if invocation.trigger is Trigger.API:
            request = Request.from_payload(invocation.payload)
            result = await _run_chain(handler, middleware, request, context, bridge)
            return Ok(to_api_response(result))
        if invocation.trigger is Trigger.EVENT:
            await bridge.call_user(handler, invocation.payload, context)
        else:
            await bridge.call_user(handler, context)
        return Ok()
    except InvalidResponseError as exc:
        return Failed(ErrorInfo(exc.code, exc.message, name=type(exc).__name__))
    except Exception as exc:
        return Failed(handler_error(exc))


# A stream without canAccess is open to everyone, as in Motia.
_ALLOWED: Final = b"true"


async def run_can_access(can_access: Callable[..., Any] | None, invocation: Invocation, bridge: Bridge) -> Outcome:
    """Ask a stream's canAccess whether a subscription may join; never raises an
    Exception.

    The payload is `{"subscription": {"groupId", "id"?}, "authContext": ...}`;
    canAccess gets both as plain values (dicts, None) and nothing else. Its result
    is coerced with bool(), as Motia does, and sent as JSON `true`/`false`. An
    exception becomes HANDLER_ERROR, which the host reads as a denial.
    """
    if can_access is None:
        return Ok(value_json=_ALLOWED)
    payload = invocation.payload if isinstance(invocation.payload, dict) else {}
    try:
        allowed = await bridge.call_user(can_access, payload.get("subscription"), payload.get("authContext"))
        return Ok(value_json=encoding.dumps(bool(allowed)))
    except Exception as exc:
        return Failed(handler_error(exc))


def handler_error(exc: BaseException) -> ErrorInfo:
    """The HANDLER_ERROR for an exception a handler raised."""
    return ErrorInfo(
        code=HANDLER_ERROR,
        message=str(exc) or type(exc).__name__,
        stack=user_stack(exc),
        name=type(exc).__name__,
    )


# Frames from these folders are the machinery between the loop and the user's
# code; a user reading a failed invocation's stack wants their own lines.
_MACHINERY = (
    os.path.dirname(__file__) + os.sep,
    *(os.path.dirname(module.__file__ or "") + os.sep for module in (asyncio, concurrent.futures)),
)


def user_stack(exc: BaseException) -> str:
    """The formatted traceback of `exc` without the SDK's and asyncio's frames.

    The full traceback is kept when filtering would leave no frame at all (an
    error inside the SDK itself).
    """
    formatted = traceback.TracebackException.from_exception(exc)
    seen: set[int] = set()
    pending: list[traceback.TracebackException | None] = [formatted]
    while pending:
        current = pending.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        kept = [frame for frame in current.stack if not frame.filename.startswith(_MACHINERY)]
        if kept:
            current.stack = traceback.StackSummary.from_list(kept)
        pending.extend((current.__cause__, current.__context__))
    return "".join(formatted.format())


async def _run_chain(
    handler: Callable[..., Any],
    middleware: Sequence[Callable[..., Any]],
    request: Request,
    context: Context,
    bridge: Bridge,
) -> Any:
    """Run middleware in list order, each `(req, context, next)`, then the handler.

    `next()` returns an awaitable when called from async middleware and the
    response itself when called from plain middleware running in a thread.
    """

    async def run_from(index: int) -> Any:
        if index == len(middleware):
            return await bridge.call_user(handler, request, context)

        def next_step() -> Any:
            return bridge.run(lambda: run_from(index + 1))

        return await bridge.call_user(middleware[index], request, context, next_step)

    return await run_from(0)
