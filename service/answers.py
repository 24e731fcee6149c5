"""Query answers as HTTP responses, streamed from where the query runs.

`stream_answer` runs a `ReadQuery` through the runner's `astream` and waits for the first
chunk of the answer (or its end) before it answers: an error before that (a syntax error, a
timeout in a sort, a result over the cap, busy workers, no acceptable format) is an HTTP
error with its own status. A small answer goes out whole, with ``Content-Length``; a larger
one streams (chunked), and an error after its first chunk can only cut the connection, which
a client sees as an incomplete answer (as with any streaming SPARQL server).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncGenerator, AsyncIterator, Callable

from fastapi.responses import Response, StreamingResponse

from kringloop.graph.execution import Event, Runner
from kringloop.graph.streaming import AnswerFormat, Head, ReadQuery, stream_job
from kringloop.service.errors import NotAcceptable

log = logging.getLogger("kringloop.service")

#: An answer up to this size goes out whole, with its length.
WHOLE_BYTES = 256 * 1024


class AnswerCut(Exception):
    """An answer that failed after its first chunk went out (a timeout part-way, say): its
    status is sent, so the server cuts the connection and the client sees an incomplete
    answer. The cause is the error that stopped it."""


async def _rest(first: list[bytes], events: AsyncGenerator[Event, None]) -> AsyncIterator[bytes]:
    try:
        for chunk in first:
            yield chunk
        async for kind, payload in events:
            if kind == "chunk":
                assert isinstance(payload, bytes)
                yield payload
    except Exception as error:  # after the first chunk: only the connection can say it
        log.warning("a streamed answer stopped part-way: %s", error)
        raise AnswerCut(str(error)) from error
    finally:
        await events.aclose()


async def stream_answer(
    runner: Runner,
    query: ReadQuery,
    answer: AnswerFormat,
    *,
    unacceptable: Callable[[str], Exception],
    headers: dict[str, str] | None = None,
) -> Response:
    """The response to ``query``, written by the runner's worker as ``answer`` says.

    ``unacceptable(kind)`` is raised when the answer turns out to be of a kind the client
    accepts no format for (the query's form could not be told before it ran).
    """
    events = runner.astream(stream_job, query, answer)
    try:
        head: Head | None = None
        first: list[bytes] = []
        size = 0
        done = False
        async for kind, payload in events:
            if kind == "head":
                assert isinstance(payload, Head)
                head = payload
                if head.media_type is None:  # the job ends here: let its worker finish
                    async for _ in events:
                        pass
                    raise unacceptable(head.kind)
            elif kind == "chunk":
                assert isinstance(payload, bytes)
                first.append(payload)
                size += len(payload)
                if size >= WHOLE_BYTES:
                    break
            else:
                done = True
                break
    except BaseException:
        await events.aclose()
        raise
    assert head is not None and head.media_type is not None
    media = head.media_type  # text types get "; charset=utf-8" from the framework
    sent = {"Vary": "Accept", **(headers or {})}
    if done:
        await events.aclose()
        return Response(b"".join(first), media_type=media, headers=sent)
    return StreamingResponse(_rest(first, events), media_type=media, headers=sent)


def not_acceptable(kind: str) -> NotAcceptable:
    return NotAcceptable(f"no accepted format can carry a {kind} answer")
