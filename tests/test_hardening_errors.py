"""One error body everywhere: every bad request gets ``{error, status, message, hint, detail}``
(or the same as plain text), with a status and a media type the OpenAPI document lists for
its operation, and an ``Allow`` on 405 that is what the document says the path supports."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from kringloop.service.app import create_app
from kringloop.service.errors import ErrorBody
from kringloop.service.settings import Settings

TOKEN = "errors-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
JSON = {"Content-Type": "application/json"}
CHAIR = "https://w3id.org/kringloop/id/product/office-chair"
BODY_LIMIT = 4096


@dataclass(frozen=True)
class Bad:
    """A bad request, the status it must get and the operation (path template) it targets
    (None: no operation, an unknown route or method)."""

    method: str
    url: str
    status: int
    operation: str | None
    options: dict[str, Any] = field(default_factory=dict)
    says: str = ""  # a piece of the message

    @property
    def id(self) -> str:
        return f"{self.method} {self.url[:40]} {self.status}"


BAD = [
    # JSON that does not parse: 400 with where it broke
    Bad("POST", "/match", 400, "/match", {"content": b'{"what": "chairs", ', "headers": JSON}),
    Bad("POST", "/match", 400, "/match", {"content": b'{"what": \n x}', "headers": JSON}, "line 2"),
    Bad(
        "POST", "/match", 400, "/match", {"content": b'{"what": "\xff"}', "headers": JSON}, "UTF-8"
    ),
    Bad(
        "POST",
        "/queries/market-scan",
        400,
        "/queries/market-scan",
        {"content": b'{"productType": ', "headers": JSON},
        "line 1, column 17",
    ),
    Bad("POST", "/queries/cpv-narrower", 400, "/queries/cpv-narrower", {"json": ["39110000"]}),
    # wrong types, missing and unknown fields: 422 naming the field
    Bad(
        "POST",
        "/match",
        422,
        "/match",
        {"json": {"what": "chairs", "near": "Gent", "quantity": "many"}},
        "body.quantity: Input should be a valid number",
    ),
    Bad(
        "POST",
        "/match",
        422,
        "/match",
        {"json": {"near": "Gent"}},
        "say what: a product type, CPV code or label, or a need",
    ),
    Bad("POST", "/match", 422, "/match", {"json": {"what": "x", "near": "Gent", "top_k": 51}}),
    Bad("POST", "/match", 422, "/match", {"json": {"what": "x", "near": "G", "bogus": 1}}, "bogus"),
    Bad("POST", "/match", 422, "/match", {"json": {"what": "chairs"}}, "say where"),
    Bad("POST", "/match", 422, "/match", {"json": [1, 2]}, "body:"),
    Bad("POST", "/match", 422, "/match", {"data": {"what": "chairs"}}, "body:"),
    Bad("POST", "/match", 422, "/match", {"json": {"what": "zzzzq", "near": "Gent"}}),
    Bad("POST", "/match", 422, "/match", {"json": {"what": "x", "requester": ""}}, "requester"),
    Bad("POST", "/match", 422, "/match", {"json": {"what": "x", "near": "G", "save": 0}}, "save"),
    Bad(
        "POST", "/match", 422, "/match", {"json": {"what": "x", "near": "G", "top_k": "5"}}, "top_k"
    ),
    Bad("POST", "/match", 422, "/match", {"json": {"what": "x", "near": "G", "needed_by": 0}}),
    Bad(
        "GET",
        "/viz/neighbourhood",
        422,
        "/viz/neighbourhood",
        {"params": {"iri": CHAIR, "depth": "deep"}},
        "query.depth",
    ),
    Bad("GET", "/viz/neighbourhood", 422, "/viz/neighbourhood", {}, "query.iri: Field required"),
    Bad("GET", "/resource", 422, "/resource", {}, "query.iri"),
    Bad("GET", "/viz/loops", 422, "/viz/loops", {"params": {"cap": 0}}, "query.cap"),
    Bad(
        "POST",
        "/queries/market-scan",
        400,
        "/queries/market-scan",
        {"json": {"productType": CHAIR, "maxRRank": "nine"}},
        "maxRRank",
    ),
    Bad("GET", "/queries/market-scan", 400, "/queries/market-scan", {}, "productType"),
    Bad(
        "POST",
        "/queries/cpv-narrower",
        415,
        "/queries/cpv-narrower",
        {"content": b"code", "headers": {"Content-Type": "text/plain"}},
    ),
    Bad("GET", "/resource", 400, "/resource", {"params": {"iri": "not an iri"}}, "not an IRI"),
    Bad("GET", "/ontology", 400, "/ontology", {"params": {"format": "bogus"}}),
    Bad(
        "GET",
        "/sparql",
        400,
        "/sparql",
        {"params": {"query": "SELECT * WHERE { ?s ?p }"}},
    ),
    Bad("GET", "/store", 400, "/store", {"params": {"graph": "no-iri"}}),
    # bad Accept: 406
    Bad(
        "GET",
        "/sparql",
        406,
        "/sparql",
        {"params": {"query": "ASK {}"}, "headers": {"Accept": "image/png"}},
    ),
    Bad(
        "GET", "/id/product/office-chair", 406, "/id/{kind}/{slug}", {"headers": {"Accept": "a/b"}}
    ),
    Bad("GET", "/ontology", 406, "/ontology", {"headers": {"Accept": "image/png"}}),
    Bad(
        "GET",
        "/queries/cpv-narrower",
        406,
        "/queries/cpv-narrower",
        {"params": {"code": "39110000"}, "headers": {"Accept": "image/png"}},
    ),
    # nothing there: 404
    Bad(
        "GET",
        "/id/product/nothing-here",
        404,
        "/id/{kind}/{slug}",
        {"headers": {"Accept": "text/turtle"}},
    ),
    Bad("GET", "/match/no-such-match", 404, "/match/{match_id}"),
    Bad("GET", "/store", 404, "/store", {"params": {"graph": "https://e.org/no-such-graph"}}),
    Bad("GET", "/viz/neighbourhood", 404, "/viz/neighbourhood", {"params": {"iri": CHAIR}}),
    # writes without or with the wrong token
    Bad("POST", "/update", 401, "/update", {"data": {"update": "CLEAR DEFAULT"}}),
    Bad(
        "DELETE",
        "/store",
        403,
        "/store",
        {"params": {"default": ""}, "headers": {"Authorization": "Bearer wrong"}},
    ),
    Bad(
        "POST",
        "/match",
        401,
        "/match",
        {"json": {"what": "chairs", "near": "Gent", "save": True}},
    ),
    Bad(
        "PUT",
        "/store",
        415,
        "/store",
        {"params": {"default": ""}, "content": b"x", "headers": {**AUTH, "Content-Type": "a/b"}},
    ),
    # too large: 413
    Bad("POST", "/match", 413, "/match", {"json": {"what": "x" * BODY_LIMIT, "near": "Gent"}}),
    Bad(
        "POST",
        "/queries/cpv-narrower",
        413,
        "/queries/cpv-narrower",
        {"json": {"code": "x" * BODY_LIMIT}},
    ),
    # unknown routes and methods
    Bad("GET", "/no/such/route", 404, None, {}, "/no/such/route"),
    Bad("GET", "/queries/no-such-query", 404, None),
    Bad("DELETE", "/loops", 405, None),
    Bad("PATCH", "/queries/market-scan", 405, None),
    Bad("PUT", "/sparql", 405, None),
    Bad("PATCH", "/store", 405, None),
    Bad("DELETE", "/update", 405, None),
]


@pytest.fixture(scope="module")
def client() -> Iterator[TestClient]:
    settings = Settings(
        store="memory",
        demo_data=False,
        write_token=SecretStr(TOKEN),
        max_json_body_bytes=BODY_LIMIT,
    )
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture(scope="module")
def document(client: TestClient) -> dict[str, Any]:
    spec: dict[str, Any] = client.get("/openapi.json").json()
    return spec


def documented_methods(document: dict[str, Any], url: str) -> set[str]:
    """The methods the document lists for the path ``url`` is on."""
    path = url.split("?")[0]
    methods: set[str] = set()
    for template, operations in document["paths"].items():
        parts, wanted = template.split("/"), path.split("/")
        if len(parts) == len(wanted) and all(
            p == w or (p.startswith("{") and w) for p, w in zip(parts, wanted, strict=True)
        ):
            methods |= {m.upper() for m in operations}
    return methods


@pytest.mark.parametrize("bad", BAD, ids=[b.id for b in BAD])
def test_every_error_has_the_error_body_and_a_documented_status(
    client: TestClient, document: dict[str, Any], bad: Bad
) -> None:
    response = client.request(bad.method, bad.url, **bad.options)
    assert response.status_code == bad.status, response.text
    body = response.json()
    ErrorBody.model_validate(body)  # the documented Error component
    assert {"error", "status", "message", "hint", "detail"} <= set(body)
    assert body["status"] == bad.status and body["error"] and body["message"] and body["hint"]
    assert bad.says in body["message"], body["message"]
    if bad.operation is not None:
        operation = document["paths"][bad.operation][bad.method.lower()]
        assert str(bad.status) in operation["responses"], (bad.operation, bad.status)
        content = operation["responses"][str(bad.status)]["content"]
        assert {"application/json", "text/plain"} <= set(content)
        assert content["application/json"]["schema"] == {"$ref": "#/components/schemas/Error"}
    if bad.status == 405:
        allow = {m.strip() for m in response.headers["Allow"].split(",")}
        assert allow == documented_methods(document, bad.url) == set(body["allow"])
    if bad.status == 401:
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "bad", [b for b in BAD if "Accept" not in b.options.get("headers", {})], ids=lambda b: b.id
)
def test_clients_that_prefer_text_get_the_error_as_text(client: TestClient, bad: Bad) -> None:
    headers = {**bad.options.get("headers", {}), "Accept": "text/plain, */*;q=0.1"}
    response = client.request(bad.method, bad.url, **{**bad.options, "headers": headers})
    assert response.status_code == bad.status
    assert response.headers["content-type"].startswith("text/plain")
    first, *rest = response.text.splitlines()
    assert first.startswith(f"{bad.status} ") and bad.says in first
    assert any(line.startswith("hint: ") for line in rest)


def test_a_json_body_that_does_not_parse_says_where() -> None:
    settings = Settings(store="memory", demo_data=False)
    with TestClient(create_app(settings)) as client:
        body = b'{\n  "what": "chairs",\n  "near": Gent\n}'
        answer = client.post("/match", content=body, headers=JSON).json()
    assert answer["error"] == "parse_error"
    assert (answer["line"], answer["column"]) == (3, 11)


def test_validation_errors_keep_fastapi_detail_for_existing_clients(client: TestClient) -> None:
    answer = client.post("/match", json={"what": "chairs", "near": "Gent", "top_k": "x"}).json()
    assert answer["error"] == "invalid_request"
    assert answer["detail"][0]["loc"] == ["body", "top_k"] and answer["detail"][0]["msg"]


def test_a_fault_in_the_service_answers_with_the_error_body() -> None:
    app = create_app(Settings(store="memory", demo_data=False))

    def broken() -> None:
        raise RuntimeError("internal state 0x5eed")

    app.add_api_route("/broken", broken)
    with TestClient(app, raise_server_exceptions=False) as client:
        response = client.get("/broken")
    assert response.status_code == 500
    body = response.json()
    ErrorBody.model_validate(body)
    assert body["error"] == "internal_error" and "0x5eed" not in response.text


def test_the_document_has_one_error_schema_and_no_fastapi_validation_error(
    document: dict[str, Any],
) -> None:
    schemas = document["components"]["schemas"]
    assert "HTTPValidationError" not in schemas and "ValidationError" not in schemas
    assert set(schemas["Error"]["required"]) >= {"error", "status", "message", "hint", "detail"}
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status, answer in operation["responses"].items():
                if int(status) >= 400:
                    schema = answer["content"]["application/json"]["schema"]
                    assert schema == {"$ref": "#/components/schemas/Error"}, (method, path)


def test_the_document_lists_what_linked_data_routes_answer(document: dict[str, Any]) -> None:
    rdf = {"text/turtle", "application/ld+json", "application/n-triples", "application/rdf+xml"}
    for path in ("/id/{kind}/{slug}", "/id/{kind}", "/resource", "/ontology"):
        answers = document["paths"][path]["get"]["responses"]
        assert {"text/html", *rdf} <= set(answers["200"]["content"]), path
        assert "application/json" not in answers["200"]["content"], path
    assert (
        "text/html" in document["paths"]["/id/{kind}/{slug}"]["get"]["responses"]["404"]["content"]
    )
    assert "text/html" in document["paths"]["/viz/loops"]["get"]["responses"]["200"]["content"]
    metrics = document["paths"]["/metrics"]["get"]["responses"]["200"]["content"]
    assert all(media.startswith("text/plain") for media in metrics)
