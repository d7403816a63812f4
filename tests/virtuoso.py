"""A throwaway Virtuoso 7 server for the tests (pytest plugin).

A test module that needs it says ``pytest_plugins = ["virtuoso"]`` and asks for the
``virtuoso`` fixture: one server per session, whichever modules use it. The server runs
Debian's /usr/bin/virtuoso-t on a fresh database in a temporary folder, with its own
virtuoso.ini, listening on free ports of 127.0.0.1 only; it is stopped (its whole process
group) and its database files deleted when the session ends. Without the Debian package
the tests that need it skip and name it.
"""
from __future__ import annotations

import ctypes
import os
import secrets
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

PACKAGE = "virtuoso-opensource-7-bin"
SERVER = "virtuoso-t"
ISQL = "isql-vt"
HOST = "127.0.0.1"
START_SECONDS = 60.0
STOP_SECONDS = 10.0
ISQL_SECONDS = 60.0
HTTP_SECONDS = 5.0
START_ATTEMPTS = 3  # a free port may be taken between finding it and binding it
PR_SET_PDEATHSIG = 1  # linux/prctl.h

INI = """\
[Database]
DatabaseFile       = {root}/virtuoso.db
ErrorLogFile       = {root}/virtuoso.log
LockFile           = {root}/virtuoso.lck
TransactionFile    = {root}/virtuoso.trx
xa_persistent_file = {root}/virtuoso.pxa
ErrorLogLevel      = 7
FileExtend         = 200
Striping           = 0
TempStorage        = TempDatabase

[TempDatabase]
DatabaseFile    = {root}/virtuoso-temp.db
TransactionFile = {root}/virtuoso-temp.trx

[Parameters]
ServerPort         = {host}:{sql_port}
DisableUnixSocket  = 1
CheckpointInterval = 0
DirsAllowed        = {load}
NumberOfBuffers    = 2000
MaxDirtyBuffers    = 1500
MaxClientConnections = 8
ThreadsPerQuery    = 2

[HTTPServer]
ServerPort           = {host}:{http_port}
ServerRoot           = {root}/www
ServerThreads        = 8
MaxClientConnections = 8
Charset              = UTF-8
EnabledDavVSP        = 0

[SPARQL]
ResultSetMaxRows      = 1000000
MaxQueryExecutionTime = 60
"""


@dataclass
class Virtuoso:
    """A running server: ``sparql`` is its query endpoint, ``crud`` its Graph Store
    endpoint with Digest authentication (user dba, ``password``)."""

    root: Path
    sql_port: int
    http_port: int
    password: str
    process: subprocess.Popen[bytes] = field(repr=False)

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.http_port}"

    @property
    def sparql(self) -> str:
        return f"{self.url}/sparql"

    @property
    def crud(self) -> str:
        return f"{self.url}/sparql-graph-crud-auth"

    @property
    def load_dir(self) -> Path:
        return self.root / "load"

    def isql(self, sql: str, password: str | None = None) -> str:
        """Run SQL statements (each ending in ``;``) as dba; their output, or an error."""
        done = subprocess.run(
            [ISQL, f"{HOST}:{self.sql_port}", "dba", password or self.password],
            input=sql.encode("utf-8"),
            capture_output=True,
            timeout=ISQL_SECONDS,
            check=False,
        )
        out, err = done.stdout.decode("utf-8", "replace"), done.stderr.decode("utf-8", "replace")
        if done.returncode != 0 or "*** Error" in err:
            raise RuntimeError(f"isql failed ({done.returncode}): {err.strip() or out.strip()}")
        return out

    def load_turtle(self, path: Path, graph_iri: str) -> None:
        """Load a Turtle file into a named graph with DB.DBA.TTLP (strict: flags 0)."""
        self.load_dir.mkdir(exist_ok=True)
        copy = self.load_dir / f"{secrets.token_hex(6)}.ttl"
        shutil.copyfile(path, copy)
        self.isql(
            f"SPARQL CLEAR GRAPH <{graph_iri}>;\n"
            f"DB.DBA.TTLP(file_to_string_output('{copy}'), '', '{graph_iri}', 0);\n"
        )

    def stop(self) -> None:
        """Stop the server's process group and delete its database files."""
        _stop(self.process)
        for pattern in ("*.db", "*.trx", "*.pxa", "*.lck"):
            for path in self.root.glob(pattern):
                path.unlink()
        shutil.rmtree(self.load_dir, ignore_errors=True)


def available() -> str | None:
    """Why the server cannot run here (a missing program), or None."""
    missing = [name for name in (SERVER, ISQL) if shutil.which(name) is None]
    if missing:
        return f"{' and '.join(missing)} not found: install the Debian package {PACKAGE}"
    return None


def start(root: Path, timeout: float = START_SECONDS) -> Virtuoso:
    """A new server on a fresh database in ``root``, ready for SPARQL over HTTP, with a
    new random dba password."""
    last = ""
    for _ in range(START_ATTEMPTS):
        server = _start_once(root, timeout)
        if isinstance(server, Virtuoso):
            new = secrets.token_hex(12)
            server.isql(f"USER_SET_PASSWORD('dba', '{new}');\n", password="dba")
            server.password = new
            return server
        last = server
    raise RuntimeError(f"Virtuoso did not start: {last}")


def _start_once(root: Path, timeout: float) -> Virtuoso | str:
    for path in root.glob("virtuoso*"):
        path.unlink()
    (root / "www").mkdir(parents=True, exist_ok=True)
    (root / "load").mkdir(exist_ok=True)
    sql_port, http_port = _free_port(), _free_port()
    ini = root / "virtuoso.ini"
    ini.write_text(
        INI.format(root=root, load=root / "load", host=HOST, sql_port=sql_port,
                   http_port=http_port),
        encoding="utf-8",
    )
    with open(root / "virtuoso.out", "wb") as out:
        process = subprocess.Popen(
            [SERVER, "+configfile", str(ini), "+foreground"],
            cwd=root,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group, stopped as one
            preexec_fn=_die_with_parent,
        )
    server = Virtuoso(root, sql_port, http_port, "dba", process)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return f"exited with {process.returncode}: {_log_tail(root)}"
        if _answers(server.sparql):
            return server
        time.sleep(0.1)
    _stop(process)
    return f"not ready after {timeout} s: {_log_tail(root)}"


def _die_with_parent() -> None:
    """In the child before exec: Linux stops the server when pytest dies without its
    teardown (killed by a timeout, say), so no server outlives the session."""
    try:
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux: the teardown alone stops it
        pass


def _answers(sparql: str) -> bool:
    request = urllib.request.Request(f"{sparql}?query=ASK%7B%7D")
    no_proxy = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with no_proxy.open(request, timeout=HTTP_SECONDS) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the process group, SIGKILL if it is still there after a while."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        if process.poll() is not None:
            return
        try:
            os.killpg(process.pid, sig)
            process.wait(STOP_SECONDS)
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            continue


def _log_tail(root: Path, lines: int = 15) -> str:
    log = root / "virtuoso.log"
    if not log.is_file():
        return "(no log)"
    return "\n".join(log.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


@pytest.fixture(scope="session")
def virtuoso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Virtuoso]:
    """One Virtuoso server for the whole session (see the module docstring)."""
    missing = available()
    if missing:
        pytest.skip(missing)
    server = start(tmp_path_factory.mktemp("virtuoso"))
    try:
        yield server
    finally:
        server.stop()
