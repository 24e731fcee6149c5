"""The ratio target: a minimal FastAPI endpoint over pyoxigraph (GET/POST /sparql, JSON results).

Run: ``python bench/minimal_app.py STORE_DIR PORT`` (the same uvicorn settings as
``kringloop serve``; the default graph is the union of all graphs, as in the benchmark's
kringloop service).
"""

from __future__ import annotations

import sys
from urllib.parse import parse_qs

import pyoxigraph as ox
import uvicorn
from fastapi import FastAPI, Request, Response
from fastapi.concurrency import run_in_threadpool

store = ox.Store(sys.argv[1])
app = FastAPI()
JSON = ox.QueryResultsFormat.JSON


def answer(query: str) -> Response:
    result = store.query(query, use_default_graph_as_union=True)
    assert isinstance(result, ox.QuerySolutions | ox.QueryBoolean)
    body = result.serialize(format=JSON)
    return Response(body, media_type="application/sparql-results+json")


@app.get("/sparql")
def sparql_get(query: str) -> Response:
    return answer(query)


@app.post("/sparql")
async def sparql_post(request: Request) -> Response:  # form-encoded query=...
    form = parse_qs((await request.body()).decode())
    return await run_in_threadpool(answer, form["query"][0])


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[2]), log_level="info")
