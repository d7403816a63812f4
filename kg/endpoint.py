"""Remote SPARQL endpoints: run queries on them and upload graphs to them, over HTTP.

Queries follow the SPARQL 1.1 Protocol (form-encoded POST, or GET) and come back as the
same ``Result`` kg's own engine returns, so every result format works: SELECT and ASK are
read from application/sparql-results+json, CONSTRUCT and DESCRIBE from Turtle or
N-Triples. Uploads follow the SPARQL 1.1 Graph Store HTTP Protocol: PUT replaces a graph,
POST adds to it, ``?graph=IRI`` or ``?default`` names it; HTTP Basic or Digest
authentication.

This is the only kg module that opens a connection, and only to the URL it is given:
http and https only (no file:, ftp: or data: handlers), proxies as the environment says,
credentials sent only to URLs under the endpoint's (never along a redirect elsewhere).
"""

from __future__ import annotations

import html
import http
import http.client
import json
import re
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.message import Message
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import RDF, XSD
from rdflib.plugins.sparql.sparql import Update
from rdflib.term import Node

from kg import query as local
from kg.errors import E, KGError
from kg.namespaces import PREFIXES
from kg.results import ASK, CONSTRUCT, DESCRIBE, GRAPH_KINDS, SELECT, Result

__all__ = [
    "AUTH_SCHEMES",
    "DEFAULT_TIMEOUT",
    "QUERY_METHODS",
    "PushReport",
    "graph_store_url",
    "push",
    "query_endpoint",
    "with_prefixes",
]

#: Seconds to wait for a connection and for each read.
DEFAULT_TIMEOUT = 60.0
RESULTS_JSON = "application/sparql-results+json"
#: Media types of CONSTRUCT and DESCRIBE answers kg reads -> rdflib parser. No JSON-LD or
#: RDF/XML: their parsers may fetch contexts or entities from elsewhere.
GRAPH_TYPES = {
    "text/turtle": "turtle",
    "application/x-turtle": "turtle",
    "application/n-triples": "nt",
    "text/plain": "nt",
}
_GRAPH_ACCEPT = "text/turtle, application/n-triples;q=0.9"
#: Files with these suffixes are uploaded as they are; every other format kg reads is
#: sent as N-Triples (all of a dataset's graphs into the one target graph).
UPLOAD_TYPES = {".ttl": "text/turtle", ".nt": "application/n-triples"}
AUTH_SCHEMES = ("basic", "digest")

_FORMS = {
    "SelectQuery": SELECT,
    "AskQuery": ASK,
    "ConstructQuery": CONSTRUCT,
    "DescribeQuery": DESCRIBE,
}
# IRIs, strings and comments, which may contain a word like SELECT that is not a keyword
_NOT_KEYWORDS = re.compile(
    r'<[^<>"{}|^`\\\s]*>|"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\''
    r'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|#[^\n]*'
)
# after the prologue (BASE and PREFIX), the first keyword says what the text is
_FIRST_KEYWORD = re.compile(
    r"\b(SELECT|ASK|CONSTRUCT|DESCRIBE"
    r"|INSERT|DELETE|LOAD|CLEAR|DROP|CREATE|ADD|MOVE|COPY|WITH)\b",
    re.IGNORECASE,
)
_DECLARED_PREFIX = re.compile(r"\bPREFIX\s+([A-Za-z][\w.-]*)?:", re.IGNORECASE)
_ABSOLUTE_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]+$")
# Virtuoso 7 answers ASK with a one-column result set of this variable (1 row: true)
_VIRTUOSO_ASK = "__ASK_RETVAL"
_BODY_CHARS = 300
_ERROR_BODY_BYTES = 65536


# --- queries -----------------------------------------------------------------------


def _post_form(url: str, params: list[tuple[str, str]]) -> urllib.request.Request:
    data = urlencode(params).encode("ascii")
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    return urllib.request.Request(url, data=data, headers=headers, method="POST")


def _get(url: str, params: list[tuple[str, str]]) -> urllib.request.Request:
    return urllib.request.Request(_add_query(url, urlencode(params)), method="GET")


#: How a query travels (SPARQL 1.1 Protocol 2.1.1 and 2.1.2), by name.
QUERY_METHODS: dict[str, Callable[[str, list[tuple[str, str]]], urllib.request.Request]] = {
    "post": _post_form,
    "get": _get,
}


def query_endpoint(
    url: str,
    sparql: str,
    default_graphs: Sequence[str] = (),
    named_graphs: Sequence[str] = (),
    method: str = "post",
    timeout: float = DEFAULT_TIMEOUT,
    user: str | None = None,
    password: str | None = None,
    auth: str = "basic",
) -> Result:
    """Run a SPARQL 1.1 query on the endpoint at ``url`` and read its answer.

    ``default_graphs`` and ``named_graphs`` become default-graph-uri and named-graph-uri.
    kg's prefixes (kg:, schema:, rdfs:, ...) that the query uses without declaring are
    declared for it, as ``kg query`` does locally. SELECT rows keep the endpoint's order
    when the query has an ORDER BY and are sorted otherwise, so the same data always
    prints the same. Updates are refused (E107) before anything is sent.
    """
    _check_url(url)
    _check_choice("query method", method, tuple(QUERY_METHODS))
    _check_auth(user, password, auth)
    form, ordered = _inspect(sparql)
    params = [("query", with_prefixes(sparql))]
    params += [("default-graph-uri", iri) for iri in default_graphs]
    params += [("named-graph-uri", iri) for iri in named_graphs]
    request = QUERY_METHODS[method](url, params)
    request.add_header("Accept", _GRAPH_ACCEPT if form in GRAPH_KINDS else RESULTS_JSON)
    _, headers, body = _send(request, url, timeout, user, password, auth)
    if form in GRAPH_KINDS:
        return Result(form, graph=_read_graph(body, headers, url))
    return _read_results(body, headers, url, form, ordered)


def with_prefixes(sparql: str) -> str:
    """``sparql`` after PREFIX lines for the kg prefixes it uses but does not declare."""
    code = _NOT_KEYWORDS.sub(" ", sparql)
    declared = {match.group(1) or "" for match in _DECLARED_PREFIX.finditer(code)}
    missing = [
        f"PREFIX {prefix}: <{namespace}>\n"
        for prefix, namespace in PREFIXES.items()
        if prefix not in declared and re.search(rf"(?<![\w.-]){prefix}:", code)
    ]
    return "".join(missing) + sparql


def _inspect(sparql: str) -> tuple[str, bool]:
    """The query's form (SELECT, ASK, ...) and whether it has an ORDER BY.

    rdflib's parser decides when it can; a query it cannot read (an endpoint's own
    extensions) is sent anyway, its form found by its first keyword, for the endpoint
    to judge.
    """
    try:
        parsed = local._parse(sparql)
    except KGError:
        found = _FIRST_KEYWORD.search(_NOT_KEYWORDS.sub(" ", sparql))
        keyword = found.group(1).upper() if found else SELECT
        if keyword not in _FORMS.values():
            raise KGError(E.E107, what=keyword) from None
        return keyword, True
    if isinstance(parsed, Update):
        raise KGError(E.E107, what=", ".join(local._update_operations(parsed)))
    return _FORMS.get(parsed.algebra.name, SELECT), local._has_order_by(parsed.algebra)


def _read_results(body: bytes, headers: Message, url: str, form: str, ordered: bool) -> Result:
    expected = "SPARQL JSON results"
    try:
        document = json.loads(body)
        if form == ASK and "boolean" in document:
            return Result(ASK, boolean=bool(document["boolean"]))
        names = [str(name) for name in document["head"]["vars"]]
        rows = [
            tuple(_term(binding[name]) if name in binding else None for name in names)
            for binding in document["results"]["bindings"]
        ]
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        reason = f"{headers.get_content_type()} {_first_line(body, headers)!r} ({error})"
        raise KGError(E.E607, url=url, expected=expected, reason=reason) from None
    if form == ASK:
        if names != [_VIRTUOSO_ASK]:
            reason = f"a result set with variables {names} for an ASK query"
            raise KGError(E.E607, url=url, expected=expected, reason=reason)
        return Result(ASK, boolean=any(row[0] is not None and _truthy(row[0]) for row in rows))
    if not ordered:
        rows.sort(key=lambda row: tuple(local._term_key(term) for term in row))
    return Result(SELECT, vars=names, rows=rows)


def _term(binding: dict[str, str]) -> Node:
    """One RDF term of SPARQL JSON results ("typed-literal" is the 2007 note's, which
    Virtuoso still writes)."""
    kind, value = binding["type"], binding["value"]
    if kind == "uri":
        return URIRef(value)
    if kind == "bnode":
        return BNode(value)
    if kind not in ("literal", "typed-literal"):
        raise ValueError(f"unknown term type {kind!r}")
    language = binding.get("xml:lang")
    if language:
        return Literal(value, lang=language)
    datatype = binding.get("datatype")
    if datatype in (None, str(XSD.string), str(RDF.langString)):
        return Literal(value)  # RDF 1.1: a simple literal is an xsd:string
    return Literal(value, datatype=URIRef(datatype))


def _truthy(term: Node) -> bool:
    return str(term).strip().lower() not in ("0", "false", "")


def _read_graph(body: bytes, headers: Message, url: str) -> Graph:
    content_type = headers.get_content_type()
    parser = GRAPH_TYPES.get(content_type)
    if parser is None:
        reason = f"{content_type} {_first_line(body, headers)!r}"
        raise KGError(E.E607, url=url, expected="Turtle or N-Triples", reason=reason)
    graph = Graph()
    try:
        graph.parse(data=body, format=parser)
    except Exception as error:  # each rdflib parser raises its own kind
        raise KGError(E.E607, url=url, expected=content_type, reason=error) from None
    return graph


# --- uploads -----------------------------------------------------------------------


@dataclass(frozen=True)
class PushReport:
    """What ``push`` sent, where, and how the server answered."""

    source: Path
    url: str
    triples: int
    status: int
    replaced: bool

    def summary(self) -> str:
        how = "replaced the graph" if self.replaced else "added to the graph"
        sent = f"{self.triples} triples from {self.source} -> {self.url}"
        return f"{sent} (HTTP {self.status}, {how})"


def graph_store_url(endpoint: str, graph_iri: str | None = None) -> str:
    """The Graph Store Protocol URL of a graph: ``?graph=IRI``, or ``?default``."""
    target = "default" if graph_iri is None else urlencode({"graph": graph_iri})
    return _add_query(endpoint, target)


def push(
    graph_path: Path,
    endpoint: str,
    graph_iri: str | None = None,
    replace: bool = True,
    user: str | None = None,
    password: str | None = None,
    auth: str = "basic",
    timeout: float = DEFAULT_TIMEOUT,
) -> PushReport:
    """Upload the graph file ``graph_path`` to a SPARQL 1.1 Graph Store endpoint.

    ``replace`` PUTs (the graph becomes the file's triples); otherwise POST adds them to
    what the graph holds. ``graph_iri`` None means the endpoint's default graph. The file
    is parsed first, so a broken file is reported with its line and nothing is sent.
    """
    _check_url(endpoint)
    _check_auth(user, password, auth)
    if graph_iri is not None and not _ABSOLUTE_IRI.match(graph_iri):
        raise KGError(E.E610, iri=graph_iri)
    path = Path(graph_path)
    graph = local.load_graph(path)
    content_type = UPLOAD_TYPES.get(path.suffix.lower())
    if content_type is None:
        triples = Graph()
        for triple in graph.triples((None, None, None)):
            triples.add(triple)
        body = triples.serialize(format="nt", encoding="utf-8")
        content_type = UPLOAD_TYPES[".nt"]
    else:
        try:
            body = path.read_bytes()
        except OSError as error:
            raise KGError(E.E002, path=path, reason=error) from error
    url = graph_store_url(endpoint, graph_iri)
    request = urllib.request.Request(
        url,
        data=body,
        headers={"Content-Type": content_type},
        method="PUT" if replace else "POST",
    )
    status, _, _ = _send(request, endpoint, timeout, user, password, auth)
    return PushReport(path, url, len(graph), status, replace)


# --- HTTP --------------------------------------------------------------------------


def _send(
    request: urllib.request.Request,
    endpoint: str,
    timeout: float,
    user: str | None,
    password: str | None,
    auth: str,
) -> tuple[int, Message, bytes]:
    """Status, headers and body of the answer; kg errors for every way it can fail."""
    opener = _opener(endpoint, user, password, auth)
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        raise _http_error(error, endpoint, user, auth) from None
    except urllib.error.URLError as error:
        if isinstance(error.reason, TimeoutError):
            raise KGError(E.E606, url=endpoint, seconds=timeout) from None
        raise KGError(E.E601, url=endpoint, reason=_os_reason(error.reason)) from None
    except TimeoutError:
        raise KGError(E.E606, url=endpoint, seconds=timeout) from None
    except (http.client.HTTPException, OSError) as error:
        raise KGError(E.E601, url=endpoint, reason=_os_reason(error)) from None


def _opener(
    endpoint: str, user: str | None, password: str | None, auth: str
) -> urllib.request.OpenerDirector:
    opener = urllib.request.OpenerDirector()
    handlers: list[urllib.request.BaseHandler] = [
        urllib.request.ProxyHandler(),
        urllib.request.HTTPHandler(),
        urllib.request.HTTPSHandler(),
        urllib.request.HTTPDefaultErrorHandler(),
        urllib.request.HTTPRedirectHandler(),
        urllib.request.HTTPErrorProcessor(),
    ]
    if user is not None:
        if auth == "digest":
            manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()
            manager.add_password(None, endpoint, user, password)
            handlers.append(urllib.request.HTTPDigestAuthHandler(manager))
        else:  # sent with the first request, without waiting to be asked
            prior = urllib.request.HTTPPasswordMgrWithPriorAuth()
            prior.add_password(None, endpoint, user, password, is_authenticated=True)
            handlers.append(urllib.request.HTTPBasicAuthHandler(prior))
    for handler in handlers:
        opener.add_handler(handler)
    return opener


def _http_error(
    error: urllib.error.HTTPError, endpoint: str, user: str | None, auth: str
) -> KGError:
    body = error.read(_ERROR_BODY_BYTES) if error.fp is not None else b""
    headers = error.headers if error.headers is not None else Message()
    if error.code == 401:
        asked = headers.get("WWW-Authenticate", "").split(" ", 1)[0].lower()
        hint = ""
        if asked in AUTH_SCHEMES and asked != auth:
            switch = "pass --digest" if asked == "digest" else "leave out --digest"
            hint = f"; the server asks for {asked.capitalize()} authentication: {switch}"
        elif not asked and auth == "basic" and user is not None:
            # Virtuoso answers Basic credentials at a Digest endpoint without a challenge
            hint = "; if the server uses Digest authentication, pass --digest"
        if user is None:
            return KGError(E.E604, url=endpoint, hint=hint)
        return KGError(E.E603, url=endpoint, user=user, hint=hint)
    try:
        phrase = http.HTTPStatus(error.code).phrase
    except ValueError:
        phrase = str(error.reason)
    return KGError(
        E.E602, url=endpoint, status=error.code, reason=phrase, body=_first_line(body, headers)
    )


def _first_line(body: bytes, headers: Message) -> str:
    """The first line of text in a body (of an HTML page: of its text), cut short."""
    text = body.decode(headers.get_content_charset() or "utf-8", errors="replace")
    if headers.get_content_subtype() in ("html", "xhtml+xml"):
        text = re.sub(r"<(script|style)\b[\s\S]*?</\1\s*>", " ", text, flags=re.IGNORECASE)
        text = html.unescape(re.sub(r"<[^>]*>", "\n", text))
    for line in text.splitlines():
        line = " ".join(line.split())
        if line:
            line = "".join(c if c.isprintable() else "\ufffd" for c in line)
            return line if len(line) <= _BODY_CHARS else line[: _BODY_CHARS - 1] + "…"
    return "(no message)"


def _os_reason(error: object) -> str:
    if isinstance(error, OSError) and error.strerror:
        return error.strerror
    return str(error) or type(error).__name__


# --- checks ------------------------------------------------------------------------


def _check_url(url: str) -> None:
    split = urlsplit(url)
    if split.scheme.lower() not in ("http", "https") or not split.hostname:
        raise KGError(E.E605, url=url)


def _check_auth(user: str | None, password: str | None, auth: str) -> None:
    _check_choice("authentication", auth, AUTH_SCHEMES)
    if user is not None and password is None:
        raise KGError(E.E608)


def _check_choice(what: str, name: str, choices: Sequence[str]) -> None:
    if name not in choices:
        raise KGError(E.E609, what=what, name=name, choices=", ".join(choices))


def _add_query(url: str, query: str) -> str:
    split = urlsplit(url)
    joined = f"{split.query}&{query}" if split.query else query
    return urlunsplit(split._replace(query=joined, fragment=""))
