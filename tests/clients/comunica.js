// Runs one SPARQL query or update with Comunica against kringloop (tests/test_clients.py).
// Usage: node comunica.js '{"sources": [...], "query": "...", "update": false, "token": "..."}'
// Prints the bindings of a SELECT (one JSON object per row), the boolean of an ASK, or "done".
const { QueryEngine } = require("@comunica/query-sparql");

async function main() {
  const job = JSON.parse(process.argv[2]);
  const headers = job.token ? { Authorization: `Bearer ${job.token}` } : {};
  const context = {
    sources: job.sources.map((value) => ({ type: "sparql", value })),
    fetch: (input, init = {}) =>
      fetch(input, { ...init, headers: { ...Object.fromEntries(new Headers(init.headers)), ...headers } }),
  };
  if (job.destination) context.destination = { type: "sparql", value: job.destination };
  const engine = new QueryEngine();
  if (job.update) {
    await engine.queryVoid(job.query, context);
    console.log(JSON.stringify("done"));
    return;
  }
  const result = await engine.query(job.query, context);
  if (result.resultType === "boolean") {
    console.log(JSON.stringify(await result.execute()));
    return;
  }
  const stream = await result.execute();
  const rows = [];
  for await (const item of stream) {
    if (result.resultType === "bindings") {
      const row = {};
      for (const [variable, term] of item) row[variable.value] = term.value;
      rows.push(row);
    } else {
      rows.push({ s: item.subject.value, p: item.predicate.value, o: item.object.value });
    }
  }
  console.log(JSON.stringify(rows));
}

main().catch((error) => {
  console.error(String(error && error.stack ? error.stack : error));
  process.exit(1);
});
