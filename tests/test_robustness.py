"""Bad input gets a clear error, nothing is lost, nothing reaches the network unasked.

End to end, mostly through the CLI: every kind of bad input beside a good article, corpora
too big to read in full (a 50 MB article, a folder of 10,000 files), files the process may
not read, builds that fail, are interrupted or are killed while writing, two builds
writing one file at once, SPARQL that would reach the network, and the same articles in
another order or under other names. kg.ingest's own tests cover each rule in isolation.
"""
from __future__ import annotations

import contextlib
import ctypes
import errno
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import rdflib.plugins.sparql.evaluate
from click.testing import Result
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF
from rdflib.plugins.serializers.turtle import TurtleSerializer
from typer.testing import CliRunner

import kg.serialize
from kg import ingest, serialize
from kg.build import build_graph
from kg.cli import app
from kg.errors import E, KGError
from kg.ingest import article_id, read_file
from kg.namespaces import DEFAULT_BASE, KG
from kg.query import load_graph
from kg.serialize import FORMATS, remove_stale_temporaries, write_atomic
from kg.viz import write_page

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"
SEED = next(SEEDS.glob("001_*"))
PIXEL = REPO / "tests" / "data" / "ingest" / "pixel.png"
OLD = "the old graph, which a failed build must leave as it was\n"
KG_COMMAND = [sys.executable, "-m", "kg"]


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A folder holding one good article (a copy of a seed)."""
    folder = tmp_path / "in"
    folder.mkdir()
    shutil.copy(SEED, folder / SEED.name)
    return folder


@pytest.fixture
def old_output(tmp_path: Path) -> Path:
    """An output file a build would replace: OLD until a build succeeds."""
    path = tmp_path / "out" / "kg.ttl"
    path.parent.mkdir()
    path.write_text(OLD, encoding="utf-8")
    return path


def build(runner: CliRunner, *args: object, debug: bool = False) -> Result:
    return runner.invoke(app, [*(["--debug"] if debug else []), "build", *map(str, args)])


def temporaries(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def sources(path: Path) -> set[str]:
    graph = Graph().parse(path, format="turtle")
    return {str(s) for s in graph.objects(None, DCTERMS.source)}


def assert_untouched(output: Path) -> None:
    assert output.read_text(encoding="utf-8") == OLD
    assert temporaries(output.parent) == []


# --- every kind of bad input ------------------------------------------------------------


@dataclass(frozen=True)
class BadInput:
    name: str  # the file's name
    code: str  # the code of its warning
    says: str  # words the warning uses
    make: Callable[[Path], object] | None  # writes the file; None: the path does not exist


def _fifo(path: Path) -> None:
    os.mkfifo(path)  # reading it would wait for a writer forever


BAD_INPUTS = [
    BadInput("empty.txt", "E003", "empty", lambda p: p.write_bytes(b"")),
    BadInput("blank.txt", "E003", "empty", lambda p: p.write_text(" \n\t\r\n\u3000\u200b\n")),
    # the shape is found from the content, whatever the name says
    BadInput("photo.txt", "E004", "PNG image", lambda p: p.write_bytes(PIXEL.read_bytes())),
    BadInput("cut.html", "E007", "no article text",
             lambda p: p.write_text("<!doctype html><html><head><title>Ward news</title><me")),
    BadInput("record.json", "E005", "no text field",
             lambda p: p.write_text('{"title": "A headline", "url": "https://example.org/a"}')),
    BadInput("feed.json", "E006", "not valid JSON", lambda p: p.write_text('{"text": "unterm')),
    BadInput("pipe.txt", "E002", "named pipe", _fifo),
    # the same text as the seed, whose name sorts first: the seed stays
    BadInput("copy.txt", "E703", SEED.name, lambda p: p.write_bytes(SEED.read_bytes())),
    BadInput("nowhere.txt", "E001", "no such file", None),
]


@pytest.fixture(scope="module")
def mixed_build(tmp_path_factory: pytest.TempPathFactory) -> tuple[Result, Path, Path]:
    """`kg build` of one good article among every kind of bad input: (result, folder,
    output)."""
    root = tmp_path_factory.mktemp("mixed")
    folder = root / "in"
    folder.mkdir()
    shutil.copy(SEED, folder / SEED.name)
    for bad in BAD_INPUTS:
        if bad.make is not None:
            bad.make(folder / bad.name)
    output = root / "kg.ttl"
    missing = [folder / b.name for b in BAD_INPUTS if b.make is None]
    return build(CliRunner(), folder, *missing, "-o", output), folder, output


@pytest.mark.parametrize("bad", BAD_INPUTS, ids=lambda b: b.name)
def test_each_bad_input_gets_one_line(
    mixed_build: tuple[Result, Path, Path], bad: BadInput
) -> None:
    result, folder, _ = mixed_build
    lines = [line for line in result.stderr.splitlines() if bad.name in line]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"kg: warning: [{bad.code}] {folder / bad.name}")
    assert bad.says in lines[0]


def test_the_rest_is_still_built(mixed_build: tuple[Result, Path, Path]) -> None:
    result, folder, output = mixed_build
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    # one line per bad input, and the summary
    assert len(result.stderr.splitlines()) == len(BAD_INPUTS) + 1
    assert result.stderr.splitlines()[-1].startswith("1 articles")
    assert f"{len(BAD_INPUTS)} warning(s)" in result.stderr
    assert sources(output) == {str(folder / SEED.name)}


def test_nothing_to_build_writes_nothing(runner: CliRunner, tmp_path: Path,
                                         old_output: Path) -> None:
    folder = tmp_path / "bad"
    folder.mkdir()
    for bad in BAD_INPUTS:
        if bad.make is not None and bad.code != "E703":
            bad.make(folder / bad.name)
    result = build(runner, folder, "-o", old_output)
    assert result.exit_code == 2, result.output
    assert result.stderr.startswith("kg: [E008] nothing could be built")
    for bad in BAD_INPUTS:
        if bad.make is not None and bad.code != "E703":
            assert f"[{bad.code}] {folder / bad.name}" in result.stderr
    assert "Traceback" not in result.output
    assert_untouched(old_output)


def test_no_path_exists(runner: CliRunner, tmp_path: Path, old_output: Path) -> None:
    result = build(runner, tmp_path / "a", tmp_path / "b", "-o", old_output)
    assert result.exit_code == 2
    assert result.stderr == (
        f"kg: [E001] {tmp_path / 'a'}, {tmp_path / 'b'}: no such file or folder\n")
    assert_untouched(old_output)


def test_a_bad_base_iri_fails_before_the_work(runner: CliRunner, corpus: Path,
                                              old_output: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ingest, "read_file", lambda *a: pytest.fail("read before checking"))
    result = build(runner, corpus, "--base", "https://example.org/a b/", "-o", old_output)
    assert result.exit_code == 2
    assert result.stderr == (
        "kg: [E708] bad base IRI 'https://example.org/a b/': Invalid IRI code point ' '; "
        "give an absolute IRI (e.g. https://example.org/id/)\n")
    assert_untouched(old_output)


def test_debug_shows_where_each_warning_comes_from(runner: CliRunner, corpus: Path,
                                                   tmp_path: Path) -> None:
    (corpus / "empty.txt").write_bytes(b"")
    quiet = build(runner, corpus, "-o", tmp_path / "a.ttl")
    loud = build(runner, corpus, "-o", tmp_path / "b.ttl", debug=True)
    assert quiet.exit_code == loud.exit_code == 0
    assert "Traceback" not in quiet.stderr
    assert "kg: debug: [E003]" in loud.stderr and "Traceback" in loud.stderr
    assert "kg/ingest.py" in loud.stderr


def test_non_utf8_and_damaged_html_are_articles(runner: CliRunner, corpus: Path,
                                                tmp_path: Path) -> None:
    texts = {
        "shift_jis.txt": ("渋谷区は同性パートナーシップ証明書の発行を始めた。", "shift_jis"),
        "cp1252.txt": ("Café owners in Shibuya welcome the “ward” decision.", "cp1252"),
    }
    for name, (text, codec) in texts.items():
        (corpus / name).write_bytes(text.encode(codec))
    (corpus / "truncated.html").write_text(
        "<html><body><p>Tokyo began issuing certificates.</p><p>The mayor said", "utf-8")
    (corpus / "malformed.html").write_text("<div><p>Broken <b>markup</i> in Osaka</p", "utf-8")
    result = build(runner, corpus, "-o", tmp_path / "kg.ttl")
    assert result.exit_code == 0, result.output
    assert result.stderr.startswith("5 articles") and "warning" not in result.stderr
    for name, (text, _) in texts.items():
        assert [a.text for a in read_file(corpus / name)] == [text]
    (cut,) = read_file(corpus / "truncated.html")
    assert cut.text == "Tokyo began issuing certificates.\n\nThe mayor said"
    assert [a.text for a in read_file(corpus / "malformed.html")] == ["Broken markup in Osaka"]


def test_a_bad_record_costs_only_itself(runner: CliRunner, corpus: Path, tmp_path: Path) -> None:
    seed = {"title": "Seed", "text": SEED.read_text(encoding="utf-8")}
    lines = [json.dumps(seed), '{"title": "No text"}', "{not json"]
    (corpus / SEED.name).unlink()
    (corpus / "feed.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = build(runner, corpus, "-o", tmp_path / "kg.ttl")
    assert result.exit_code == 0, result.output
    warnings = [line for line in result.stderr.splitlines() if line.startswith("kg: warning")]
    assert len(warnings) == 2
    assert "[E005]" in warnings[0] and "record 2" in warnings[0]
    assert "[E006]" in warnings[1] and "line 3" in warnings[1]
    assert sources(tmp_path / "kg.ttl") == {f"{corpus / 'feed.jsonl'}#1"}


def test_two_files_with_one_id_are_two_articles(runner: CliRunner, corpus: Path,
                                                tmp_path: Path) -> None:
    other = next(SEEDS.glob("002_*"))
    same_stem = corpus / (SEED.stem + ".html")  # the same id as the seed's .txt
    same_stem.write_text("<p>" + other.read_text(encoding="utf-8") + "</p>", encoding="utf-8")
    result = build(runner, corpus, "-o", tmp_path / "kg.ttl")
    assert result.exit_code == 0, result.output
    assert "[E704]" in result.stderr and str(corpus / SEED.name) in result.stderr
    graph = Graph().parse(tmp_path / "kg.ttl", format="turtle")
    articles = set(graph.subjects(RDF.type, KG.Article))
    assert len(articles) == 2
    assert URIRef(f"{DEFAULT_BASE}article/{article_id(SEED.name)}") in articles


# --- too much to read -------------------------------------------------------------------


def _run_measured(args: list[str], cwd: Path) -> tuple[int, float, int, str]:
    """(exit status, seconds, peak memory in MB, stderr) of a command."""
    err = cwd / "stderr.txt"
    started = time.monotonic()
    with err.open("wb") as stderr:
        process = subprocess.Popen(args, cwd=cwd, stdout=subprocess.DEVNULL, stderr=stderr)
        _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.monotonic() - started
    return process.returncode, seconds, usage.ru_maxrss // 1024, err.read_text("utf-8")


def test_a_fifty_megabyte_article(tmp_path: Path) -> None:
    big = tmp_path / "big.txt"
    with big.open("w", encoding="utf-8") as out:  # every paragraph different: none repeats
        n = 0
        while out.tell() < 50_000_000:
            out.write(f"Report {n}: the ward office recorded {n % 997} new filings.\n\n")
            n += 1
    shutil.copy(SEED, tmp_path / SEED.name)
    try:
        status, seconds, megabytes, stderr = _run_measured(
            [*KG_COMMAND, "build", big.name, SEED.name, "-o", "kg.ttl"], tmp_path)
    finally:
        big.unlink()  # pytest keeps the last runs' folders
    assert status == 0, stderr
    (warning,) = [line for line in stderr.splitlines() if line.startswith("kg: warning")]
    assert warning.startswith("kg: warning: [E702] big.txt: too long for one article (50,0")
    assert sources(tmp_path / "kg.ttl") == {SEED.name}
    # measured: 2 s and 260 MB (a build of the seed alone: 2 s, 180 MB); parsing 50 MB
    # with spaCy would take about an hour
    assert seconds < 60 and megabytes < 1500, (seconds, megabytes)


def test_ten_thousand_files(runner: CliRunner, tmp_path: Path) -> None:
    folder = tmp_path / "many"
    folder.mkdir()
    stories = 20
    for n in range(10_000):  # half empty, half repeats of twenty short stories
        count = (n // 2) % stories + 1
        text = "" if n % 2 == 0 else f"Shibuya ward issued {count} partnership certificates.\n"
        (folder / f"f{n:05d}.txt").write_text(text, encoding="utf-8")
    started = time.monotonic()
    result = build(runner, folder, "-o", tmp_path / "kg.ttl")
    seconds = time.monotonic() - started
    assert result.exit_code == 0, result.output[-2000:]
    lines = result.stderr.splitlines()
    assert lines[-1].startswith(f"{stories} articles")
    warnings = lines[:-1]
    assert len(warnings) == 10_000 - stories
    assert sum("[E003]" in w for w in warnings) == 5_000
    assert sum("[E703]" in w for w in warnings) == 5_000 - stories
    assert len({w.split("]")[1].split(":")[0] for w in warnings}) == len(warnings)
    assert len(sources(tmp_path / "kg.ttl")) == stories
    assert seconds < 60, seconds  # measured: 4 s
    shutil.rmtree(folder)  # pytest keeps the last runs' folders


# --- files the process may not read -----------------------------------------------------

PR_CAPBSET_DROP = 24
CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH = 1, 2


def _without_root_override() -> None:
    """Run in the child before exec: root without the capabilities that let it read any
    file, so that file permissions apply to it as to any user."""
    libc = ctypes.CDLL(None, use_errno=True)
    for capability in (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH):
        if libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def _as_plain_user() -> Callable[[], None] | None:
    if os.geteuid() != 0:
        return None  # permissions already apply
    try:
        subprocess.run(["true"], preexec_fn=_without_root_override, check=True)
    except (subprocess.SubprocessError, OSError) as exc:
        pytest.skip(f"cannot drop CAP_DAC_OVERRIDE to test permissions as root: {exc}")
    return _without_root_override


def test_files_the_process_may_not_read(corpus: Path, tmp_path: Path) -> None:
    """Real permissions, not a simulation: the build runs in a child process that the
    kernel refuses to let read the files (as root, with its override capabilities gone)."""
    locked = corpus / "locked.txt"
    locked.write_text("Osaka joined the partnership system.", encoding="utf-8")
    closed = corpus / "closed"
    closed.mkdir()
    (closed / "inside.txt").write_text("Sapporo ruled.", encoding="utf-8")
    locked.chmod(0)
    closed.chmod(0)
    try:
        result = subprocess.run(
            [*KG_COMMAND, "build", str(corpus), "-o", str(tmp_path / "kg.ttl")],
            preexec_fn=_as_plain_user(), capture_output=True, text=True, check=False)
    finally:
        locked.chmod(0o644)
        closed.chmod(0o755)
    assert result.returncode == 0, result.stderr
    assert f"kg: warning: [E002] {locked}: cannot read: Permission denied" in result.stderr
    assert f"kg: warning: [E002] {closed}: cannot read: Permission denied" in result.stderr
    assert "Traceback" not in result.stderr
    assert sources(tmp_path / "kg.ttl") == {str(corpus / SEED.name)}


# --- the unexpected ---------------------------------------------------------------------


def test_a_bug_on_one_file_spares_the_others(runner: CliRunner, corpus: Path, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    (corpus / "odd.txt").write_text("An article kg trips over.", encoding="utf-8")
    original = ingest._articles

    def trip(text: str, source: str, *args: Any) -> Any:
        if source.endswith("odd.txt"):
            raise IndexError("list index out of range")
        return original(text, source, *args)

    monkeypatch.setattr(ingest, "_articles", trip)
    result = build(runner, corpus, "-o", tmp_path / "kg.ttl")
    assert result.exit_code == 0, result.output
    (warning,) = [line for line in result.stderr.splitlines() if line.startswith("kg: warning")]
    assert warning.startswith(f"kg: warning: [E705] {corpus / 'odd.txt'}: unexpected error")
    assert "IndexError" in warning and "Traceback" not in result.stderr
    assert sources(tmp_path / "kg.ttl") == {str(corpus / SEED.name)}
    loud = build(runner, corpus, "-o", tmp_path / "kg.ttl", debug=True)
    assert "Traceback" in loud.stderr and "in trip" in loud.stderr


@pytest.fixture
def serializer_fails_midway(monkeypatch: pytest.MonkeyPatch) -> None:
    """kg's own Turtle writer fails, and so does rdflib's, which kg falls back on, after
    writing 100 subjects."""
    original = TurtleSerializer.statement
    written = [0]

    def broken(*args: Any, **kwargs: Any) -> str:
        raise RuntimeError("the fast writer broke")

    monkeypatch.setattr(kg.serialize, "turtle_parts", broken)

    def statement(self: TurtleSerializer, subject: Any) -> Any:
        written[0] += 1
        if written[0] > 100:
            raise RuntimeError("the serializer broke")
        return original(self, subject)

    monkeypatch.setattr(TurtleSerializer, "statement", statement)


@pytest.mark.usefixtures("serializer_fails_midway")
def test_a_build_that_fails_while_serializing(runner: CliRunner, corpus: Path,
                                              old_output: Path) -> None:
    result = build(runner, corpus, "-o", old_output)
    assert result.exit_code == 2
    assert result.stderr == (
        "kg: [E706] unexpected error (RuntimeError: the serializer broke); nothing was "
        "written. Please report it (--debug shows where)\n")
    assert_untouched(old_output)
    loud = build(runner, corpus, "-o", old_output, debug=True)
    assert loud.exit_code == 2 and "Traceback" in loud.stderr and "in statement" in loud.stderr
    assert_untouched(old_output)


class _HalfWriter:
    """A file that takes half of what is written to it, then fails with ``error``."""

    def __init__(self, real: Any, error: BaseException) -> None:
        self.real, self.error = real, error

    def write(self, data: bytes) -> int:
        self.real.write(data[: len(data) // 2])
        self.real.flush()
        raise self.error

    def __enter__(self) -> _HalfWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.real.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


@pytest.fixture
def writes_fail_midway(monkeypatch: pytest.MonkeyPatch) -> Callable[[BaseException], None]:
    """Make every file write_atomic opens fail half way through with the given error."""

    def arm(error: BaseException) -> None:
        real_fdopen = os.fdopen
        monkeypatch.setattr(serialize.os, "fdopen",
                            lambda fd, *a, **k: _HalfWriter(real_fdopen(fd, *a, **k), error))

    return arm


def test_a_disk_that_fills_up(runner: CliRunner, corpus: Path, old_output: Path,
                              writes_fail_midway: Callable[[BaseException], None]) -> None:
    writes_fail_midway(OSError(errno.ENOSPC, "No space left on device"))
    result = build(runner, corpus, "-o", old_output)
    assert result.exit_code == 2
    assert result.stderr == f"kg: [E202] cannot write {old_output}: No space left on device\n"
    assert_untouched(old_output)


def test_ctrl_c_while_writing(runner: CliRunner, corpus: Path, old_output: Path,
                              writes_fail_midway: Callable[[BaseException], None]) -> None:
    writes_fail_midway(KeyboardInterrupt())
    result = build(runner, corpus, "-o", old_output)
    assert result.exit_code == 130
    assert result.stderr == "kg: [E707] interrupted; nothing was written\n"
    assert_untouched(old_output)


def test_a_failing_page_write_keeps_the_old_page(seed_graph: Graph, tmp_path: Path,
                                                 writes_fail_midway: Callable[[BaseException],
                                                                              None]) -> None:
    page = tmp_path / "kg.html"
    page.write_text(OLD, encoding="utf-8")
    writes_fail_midway(OSError(errno.EIO, "Input/output error"))
    with pytest.raises(KGError) as failure:
        write_page(seed_graph, page)
    assert failure.value.code is E.E202 and "Input/output error" in str(failure.value)
    assert page.read_text(encoding="utf-8") == OLD and temporaries(tmp_path) == []


# --- killed while writing ---------------------------------------------------------------

# A child that writes PAYLOAD_MB to argv[1] with write_atomic; with argv[2] it stops just
# before the rename (all bytes written, not yet flushed to disk) and says so in that file.
WRITER = """
import os, sys, time
from pathlib import Path
from kg import serialize
if len(sys.argv) > 2:
    def stall(fd):
        Path(sys.argv[2]).write_text(str(os.getpid()))
        time.sleep(60)
    serialize.os.fsync = stall
serialize.write_atomic(Path(sys.argv[1]), b"new graph\\n" * {lines})
"""
PAYLOAD_LINES = 6_400_000  # 64 MB


def _start_writer(output: Path, stall_marker: Path | None = None) -> subprocess.Popen[bytes]:
    args = [sys.executable, "-c", WRITER.format(lines=PAYLOAD_LINES), str(output)]
    return subprocess.Popen(args + ([str(stall_marker)] if stall_marker else []))


def _wait_for(condition: Callable[[], bool], seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.001)


def test_sigkill_before_the_rename_leaves_the_old_file(old_output: Path) -> None:
    marker = old_output.parent / "stalled"
    child = _start_writer(old_output, marker)
    _wait_for(marker.exists)
    child.kill()
    assert child.wait() == -signal.SIGKILL
    assert_untouched_but_for_the_temporary(old_output, child.pid)


def assert_untouched_but_for_the_temporary(output: Path, pid: int) -> None:
    assert output.read_text(encoding="utf-8") == OLD
    # what SIGKILL leaves: one hidden temporary file beside the output, named for its writer
    (left,) = temporaries(output.parent)
    assert left.startswith(f".{output.name}.{pid}.")
    assert (output.parent / left).stat().st_size == len(b"new graph\n") * PAYLOAD_LINES


@pytest.mark.parametrize("delay", [0.0, 0.02, 0.1])
def test_sigkill_at_any_moment_never_leaves_a_part(old_output: Path, delay: float) -> None:
    child = _start_writer(old_output)
    _wait_for(lambda: bool(temporaries(old_output.parent)))
    time.sleep(delay)
    child.kill()
    child.wait()
    content = old_output.read_bytes()
    assert content in (OLD.encode("utf-8"), b"new graph\n" * PAYLOAD_LINES)


def test_the_next_write_removes_what_a_killed_writer_left(old_output: Path) -> None:
    folder = old_output.parent
    gone = subprocess.Popen(["true"])  # once it has ended, its process id is free
    gone.wait()
    stale = folder / f".{old_output.name}.{gone.pid}.abc123.tmp"
    fresh = folder / f".{old_output.name}.{gone.pid}.def456.tmp"
    alive = folder / f".{old_output.name}.{os.getpid()}.ghi789.tmp"
    other = folder / ".other.ttl.1.jkl000.tmp"
    for path in (stale, fresh, alive, other):
        path.write_text("part of a graph", encoding="utf-8")
    an_hour_ago = time.time() - 3600
    for path in (stale, alive, other):
        os.utime(path, (an_hour_ago, an_hour_ago))
    assert remove_stale_temporaries(old_output) == [stale]
    # a recent file may be another machine's write in progress; a live writer's is kept
    assert sorted(temporaries(folder)) == sorted(p.name for p in (fresh, alive, other))
    os.utime(fresh, (an_hour_ago, an_hour_ago))
    write_atomic(old_output, "new\n")  # every write cleans up first
    assert old_output.read_text(encoding="utf-8") == "new\n"
    assert sorted(temporaries(folder)) == sorted(p.name for p in (alive, other))


def test_sigterm_while_writing_cleans_up(corpus: Path, old_output: Path) -> None:
    marker = old_output.parent / "stalled"
    script = (
        "import os, sys, time\n"
        "from pathlib import Path\n"
        "from kg import serialize\n"
        "def stall(fd):\n"
        f"    Path({str(marker)!r}).write_text('now')\n"
        "    time.sleep(60)\n"
        "serialize.os.fsync = stall\n"
        "from kg.cli import main\n"
        f"sys.argv = ['kg', 'build', {str(corpus)!r}, '-o', {str(old_output)!r}]\n"
        "main()\n"
    )
    child = subprocess.Popen([sys.executable, "-c", script], stderr=subprocess.PIPE, text=True)
    _wait_for(marker.exists, seconds=120)
    assert temporaries(old_output.parent)  # caught while writing
    child.terminate()
    _, stderr = child.communicate(timeout=30)
    assert child.returncode == 130, stderr
    assert stderr == "kg: [E707] interrupted; nothing was written\n"
    assert_untouched(old_output)


# --- two builds, one output -------------------------------------------------------------


def test_two_builds_writing_one_file_at_once(seed_turtle: str, tmp_path: Path) -> None:
    """Two `kg build seeds -o same.ttl` at once, with different hash seeds: the file is
    always whole (a reader polling it meanwhile sees only the old file or a whole build),
    and in the end it is the one build every run gives."""
    output = tmp_path / "same.ttl"
    output.write_text(OLD, encoding="utf-8")
    seen: set[bytes] = set()
    done = threading.Event()

    def watch() -> None:
        while not done.is_set():
            seen.add(output.read_bytes())

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        builds = [
            subprocess.Popen([*KG_COMMAND, "build", "seeds", "-o", str(output)], cwd=REPO,
                             env={**os.environ, "PYTHONHASHSEED": seed},
                             stderr=subprocess.PIPE, text=True)
            for seed in ("1", "2")
        ]
        outcomes = [(b.wait(timeout=300), b.stderr.read()) for b in builds]  # type: ignore[union-attr]
    finally:
        done.set()
        watcher.join()
    assert [status for status, _ in outcomes] == [0, 0], outcomes
    assert output.read_text(encoding="utf-8") == seed_turtle
    assert seen <= {OLD.encode("utf-8"), seed_turtle.encode("utf-8")}
    assert temporaries(tmp_path) == []


# --- the network ------------------------------------------------------------------------


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every way out to the network fails the test's check: each attempt is recorded here
    (and refused)."""
    attempts: list[str] = []

    def refuse(what: str) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            attempts.append(f"{what}{args[:2]}")
            raise OSError(errno.ENETUNREACH, f"the test forbids {what}")

        return call

    monkeypatch.setattr(socket, "create_connection", refuse("socket.create_connection"))
    monkeypatch.setattr(socket, "getaddrinfo", refuse("socket.getaddrinfo"))
    monkeypatch.setattr(socket.socket, "connect", refuse("socket.connect"))
    monkeypatch.setattr(urllib.request, "urlopen", refuse("urllib.request.urlopen"))
    monkeypatch.setattr(rdflib.plugins.sparql.evaluate, "urlopen", refuse("rdflib urlopen"))
    return attempts


def query(runner: CliRunner, graph: Path, sparql: str, *options: str) -> Result:
    return runner.invoke(app, ["query", sparql, "-g", str(graph), *options])


@pytest.mark.parametrize(("sparql", "what"), [
    ("SELECT * WHERE { SERVICE <https://example.org/sparql> { ?s ?p ?o } }",
     "SERVICE <https://example.org/sparql>"),
    ("SELECT * WHERE { ?s ?p ?o . SERVICE SILENT <http://example.org/q> { ?s ?p ?x } }",
     "SERVICE <http://example.org/q>"),
    ("LOAD <https://example.org/data.ttl>", "LOAD <https://example.org/data.ttl>"),
    ("SELECT * FROM <http://example.org/g> WHERE { ?s ?p ?o }", "FROM <http://example.org/g>"),
    ("SELECT * FROM NAMED <https://example.org/g> WHERE { GRAPH ?g { ?s ?p ?o } }",
     "FROM NAMED <https://example.org/g>"),
])
def test_a_query_that_would_reach_the_network_is_refused(
    runner: CliRunner, seed_ttl: Path, no_network: list[str], sparql: str, what: str
) -> None:
    result = query(runner, seed_ttl, sparql)
    assert result.exit_code == 2
    assert result.stderr.startswith("kg: [E105] the query reaches the network")
    assert what in result.stderr and "--allow-network" in result.stderr
    assert result.stdout == "" and no_network == []


def test_allow_network_lets_the_query_out(runner: CliRunner, seed_ttl: Path,
                                          no_network: list[str]) -> None:
    sparql = "SELECT * WHERE { SERVICE <https://example.org/sparql> { ?s ?p ?o } }"
    result = query(runner, seed_ttl, sparql, "--allow-network")
    assert no_network and no_network[0].startswith("rdflib urlopen")  # it did try
    assert result.exit_code == 2 and "[E108]" in result.stderr  # and the test refused it


def test_a_build_reaches_nothing(runner: CliRunner, corpus: Path, tmp_path: Path,
                                 no_network: list[str]) -> None:
    result = build(runner, corpus, "-o", tmp_path / "kg.ttl")
    assert result.exit_code == 0, result.output
    assert no_network == []


def test_malformed_sparql_says_where(runner: CliRunner, seed_ttl: Path,
                                     no_network: list[str]) -> None:
    result = query(runner, seed_ttl, "SELECT ?x\nWHERE {\n  ?x ?y\n}")
    assert result.exit_code == 2
    message = result.stderr.splitlines()
    assert message[0].startswith("kg: [E102] SPARQL syntax error: line 3, column 3: ")
    assert message[1:] == ["    ?x ?y", "    ^"]  # the line, and where in it
    assert no_network == []


def test_an_update_is_refused_as_one(runner: CliRunner, seed_ttl: Path) -> None:
    before = seed_ttl.read_bytes()
    result = query(runner, seed_ttl, "INSERT DATA { <urn:a> <urn:b> <urn:c> }")
    assert result.exit_code == 2
    assert result.stderr.startswith("kg: [E107] SPARQL Update (INSERT DATA) is not supported")
    assert seed_ttl.read_bytes() == before


def test_timeout_stops_a_runaway_query(runner: CliRunner, seed_ttl: Path) -> None:
    runaway = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
    started = time.monotonic()
    result = query(runner, seed_ttl, runaway, "--timeout", "0.5")
    assert result.exit_code == 2
    assert result.stderr == "kg: [E106] the query ran longer than 0.5 s and was stopped\n"
    assert time.monotonic() - started < 10
    quick = query(runner, seed_ttl, "rulings", "--timeout", "30")
    assert quick.exit_code == 0 and "Osaka" in quick.stdout


# --- the same articles, another order, other names -------------------------------------


def test_the_order_of_the_files_does_not_matter(seed_graph: Graph) -> None:
    nt = FORMATS["nt"]
    with contextlib.chdir(REPO):
        files = sorted(Path("seeds").iterdir(), reverse=True)
        graph, _, _ = build_graph(files, base=DEFAULT_BASE)
    assert serialize.serialize(graph, nt) == serialize.serialize(seed_graph, nt)


def _renamed(graph: Graph, names: dict[str, str]) -> Graph:
    """``graph`` with each article's traces of its file name (its id, the ids of its
    sentences, its dcterms:source and label) moved from the new name back to the old."""
    ids = {article_id(new): article_id(old) for old, new in names.items()}
    sources = {f"renamed/{new}": f"seeds/{old}" for old, new in names.items()}
    prefixes = [(f"{DEFAULT_BASE}{kind}/{new}", f"{DEFAULT_BASE}{kind}/{old}")
                for new, old in ids.items() for kind in ("article", "sentence")]

    def term(t: Any) -> Any:
        if isinstance(t, URIRef):
            for new, old in prefixes:
                if str(t) == new or t.startswith(new + "-"):
                    return URIRef(old + t[len(new):])
        if isinstance(t, Literal) and t.datatype is None:
            value = sources.get(str(t)) or {v: k for k, v in names.items()}.get(str(t))
            return Literal(value) if value else t
        return t

    out = Graph()
    for triple in graph:
        out.add(tuple(term(t) for t in triple))  # type: ignore[arg-type]
    return out


def test_other_file_names_give_the_same_graph(seed_graph: Graph, tmp_path: Path) -> None:
    """The seeds under names that sort the other way round (9-000_..., 8-001_...)."""
    folder = tmp_path / "renamed"
    folder.mkdir()
    names = {}
    for rank, path in enumerate(sorted(SEEDS.iterdir())):
        names[path.name] = f"{9 - rank}-{path.name}"
        shutil.copy(path, folder / names[path.name])
    with contextlib.chdir(tmp_path):
        graph, _, _ = build_graph([Path("renamed")], base=DEFAULT_BASE)
    assert len(graph) == len(seed_graph)
    assert set(_renamed(graph, names)) == set(seed_graph)  # no blank nodes: isomorphic


def test_the_graph_page_is_the_same_in_every_process(seed_ttl: Path, tmp_path: Path) -> None:
    ours, theirs = tmp_path / "ours.html", tmp_path / "theirs.html"
    write_page(load_graph(seed_ttl), ours)
    subprocess.run([*KG_COMMAND, "viz", "-g", str(seed_ttl), "-o", str(theirs)], check=True,
                   env={**os.environ, "PYTHONHASHSEED": "3"}, capture_output=True)
    assert ours.read_bytes() == theirs.read_bytes()

