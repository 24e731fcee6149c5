"""The one judgement of "does this loop close?": facts read from the store (`facts`, as small
records: `records`), the judgement itself (`judge`) and its answer (`verdict`).

Matchmaking (`kringloop.queries.matchmaker`), the census and its gaps (`kringloop.queries.loops`),
the graph pages and the evaluation all ask `judge.LoopJudge`.
"""
