"""README.md runs as written: its code blocks, the output it shows and the
requirements it lists.

How README.md's fenced blocks are tested, by language:

- ``python``: executed, each in a fresh namespace and a fresh temporary
  directory, with every warning an error (code a newcomer copies should run
  cleanly). A block containing ``if __name__ == "__main__":`` is run as a
  script in a new interpreter instead, as its reader would run it (a dask
  cluster's worker processes import the script again).
- ``text``: after the marker ``<!-- readme-test: output -->``, what the
  block before printed, line by line; numbers are compared to a relative
  1e-6 (the same model on another BLAS), durations such as ``0.4s`` not at
  all. A ``text`` block without the marker is only shown.
- ``console``: a transcript. ``$ sknn ...`` lines run sknn's command line
  in-process, ``$ echo $?`` prints the last exit status, and the lines up to
  the next ``$`` are what the command printed (standard output, then
  standard error), compared as ``text`` blocks are.
- ``bash``: installation commands, shown only.

Markers are HTML comment lines (invisible on the rendered page) right before
a block's opening fence:

- ``<!-- readme-test: continues -->``: the block runs after the block before,
  in its namespace and directory (files it wrote are there);
- ``<!-- readme-test: output -->``: see ``text`` above;
- ``<!-- readme-test: skip: REASON -->``: the block is not run, for example
  because it needs a real cluster; the reason is required. Keep these few.

A block of any other language fails :func:`test_every_block_is_known`, so
that no code can escape the test by its fence.
"""

import contextlib
import io
import math
import os
import re
import shlex
import subprocess
import sys
import tomllib
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from sknn.cli import main as sknn_main

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"

_FENCE = re.compile(r"^```(\S*)\s*$")
_MARKER = re.compile(r"^<!--\s*readme-test:\s*(.*?)\s*-->$")
_LANGUAGES = {"python", "text", "console", "bash"}
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
_DURATION = re.compile(r"\b\d+(?:\.\d+)?s\b")


@dataclass
class Block:
    language: str
    code: str
    line: int  # of the opening fence, 1-based
    section: str
    marker: str = ""

    @property
    def name(self):
        return f"README.md:{self.line} ({self.section})"


@dataclass
class Chain:
    """Blocks run one after the other in one namespace and directory."""

    blocks: list = field(default_factory=list)

    @property
    def name(self):
        return self.blocks[0].name


def parse(text):
    """The fenced blocks of a markdown text, with their markers and sections."""
    blocks, lines = [], text.splitlines()
    section, marker, i = "top", "", 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("#"):
            section = line.lstrip("#").strip()
        if m := _MARKER.match(line.strip()):
            marker = m.group(1)
        elif m := _FENCE.match(line):
            end = next(j for j in range(i + 1, len(lines)) if lines[j].rstrip() == "```")
            blocks.append(
                Block(m.group(1), "\n".join(lines[i + 1 : end]) + "\n", i + 1, section, marker)
            )
            marker, i = "", end
        elif line.strip():
            marker = ""  # a marker belongs to the fence right after it
        i += 1
    return blocks


def chains(blocks):
    """Group runnable blocks into chains (a block plus its continuations and outputs)."""
    result = []
    for block in blocks:
        if block.marker in ("continues", "output"):
            assert result, f"{block.name}: nothing before it to continue"
            result[-1].blocks.append(block)
        elif block.language in ("python", "console") and not block.marker.startswith("skip"):
            result.append(Chain([block]))
    return result


BLOCKS = parse(README.read_text())
CHAINS = chains(BLOCKS)


# ----------------------------------------------------------------- outputs
def _skeleton(line):
    """A line with durations blanked and numbers taken out: (template, numbers)."""
    line = _DURATION.sub("<duration>", line.rstrip())
    return _NUMBER.sub("<n>", line), [float(n) for n in _NUMBER.findall(line)]


def assert_same_output(expected, actual, where):
    expected_lines = expected.rstrip("\n").splitlines()
    actual_lines = actual.rstrip("\n").splitlines()
    message = f"{where} printed\n{actual}\ninstead of\n{expected}"
    assert len(actual_lines) == len(expected_lines), message
    for want, got in zip(expected_lines, actual_lines):
        (want_text, want_numbers), (got_text, got_numbers) = _skeleton(want), _skeleton(got)
        assert got_text == want_text, message
        assert all(
            math.isclose(g, w, rel_tol=1e-6, abs_tol=1e-12)
            for g, w in zip(got_numbers, want_numbers)
        ), message


def test_output_comparison_catches_changed_numbers_and_words():
    shown = "fold 1: 0.9533 (0.4s)\nsetosa,0.9988055991"
    assert_same_output(shown, "fold 1: 0.9533 (12.0s)\nsetosa,0.9988055991", "same")
    assert_same_output(shown, "fold 1: 0.9533 (0.4s)\nsetosa,0.99880559910001", "noise")
    for changed in (
        "fold 1: 0.9534 (0.4s)\nsetosa,0.9988055991",
        "fold 2: 0.9533 (0.4s)\nsetosa,0.9988055991",
        "fold 1: 0.9533 (0.4s)\nvirginica,0.9988055991",
        "fold 1: 0.9533 (0.4s)",
    ):
        with pytest.raises(AssertionError):
            assert_same_output(shown, changed, "changed")


# ----------------------------------------------------------------- runners
def _env():
    """The environment of a script block: sknn imported from this tree."""
    paths = [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}


def run_python(block, namespace, directory):
    """Run a python block; what it printed."""
    if 'if __name__ == "__main__":' in block.code:
        script = directory / f"readme_block_{block.line}.py"
        script.write_text(block.code)
        done = subprocess.run(
            # every warning an error, except dask's notice that another
            # process holds its dashboard's port (it then takes a free one)
            [sys.executable, "-W", "error", "-W", "ignore:Port 8787 is already in use",
             str(script)],
            cwd=directory,
            env=_env(),
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert done.returncode == 0, f"{block.name} failed:\n{done.stderr}"
        return done.stdout
    out = io.StringIO()
    with warnings.catch_warnings(), contextlib.redirect_stdout(out):
        warnings.simplefilter("error")
        exec(compile(block.code, block.name, "exec"), namespace)
    return out.getvalue()


def run_console(block):
    """Replay a console transcript, checking each command's output."""
    status = None
    commands = re.split(r"^\$ ", block.code, flags=re.MULTILINE)
    assert commands[0] == "", f"{block.name}: a transcript starts with a '$ ' line"
    for command in commands[1:]:
        line, _, expected = command.partition("\n")
        argv = shlex.split(line)
        out, err = io.StringIO(), io.StringIO()
        if argv == ["echo", "$?"]:
            out.write(f"{status}\n")
        elif argv[0] == "sknn":
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    status = sknn_main(argv[1:])
                except SystemExit as exit:  # argparse's usage errors and --help
                    status = exit.code
        else:
            pytest.fail(f"{block.name}: the test cannot replay {line!r}")
        assert_same_output(expected, out.getvalue() + err.getvalue(), f"{block.name}: $ {line}")


@pytest.mark.parametrize("chain", CHAINS, ids=lambda chain: chain.name)
def test_readme_block_runs_as_written(chain, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    namespace = {"__name__": "readme"}
    printed = None
    try:
        for block in chain.blocks:
            if block.language == "python":
                printed = run_python(block, namespace, tmp_path)
            elif block.language == "console":
                run_console(block)
            else:
                assert block.language == "text" and block.marker == "output", block.name
                assert printed is not None, f"{block.name}: no python block before it"
                assert_same_output(block.code, printed, block.name)
    finally:
        if "matplotlib.pyplot" in sys.modules:
            sys.modules["matplotlib.pyplot"].close("all")


def test_every_block_is_known():
    assert {block.language for block in BLOCKS} <= _LANGUAGES
    for block in BLOCKS:
        assert block.marker in ("", "continues", "output") or re.fullmatch(
            r"skip: \S.*", block.marker
        ), f"{block.name}: unknown marker {block.marker!r}"
        if block.marker == "output":
            assert block.language == "text", block.name
    # the quick start, the knobs, summary(), callbacks, learning curves,
    # persistence, dask and the command line all run
    assert len(CHAINS) >= 8
    assert sum(b.marker.startswith("skip") for b in BLOCKS) <= 2


def test_parse_reads_markers_and_chains():
    text = (
        "# A\n```python\nx = 1\n```\n<!-- readme-test: output -->\n```text\n1\n```\n"
        "## B\n<!-- readme-test: skip: needs a cluster -->\n```python\nboom\n```\n"
        "```bash\npip install .\n```\n"
        "<!-- readme-test: continues -->\n\n```console\n$ sknn\n```\n"
    )
    blocks = parse(text)
    assert [(b.language, b.marker, b.section) for b in blocks] == [
        ("python", "", "A"),
        ("text", "output", "A"),
        ("python", "skip: needs a cluster", "B"),
        ("bash", "", "B"),
        ("console", "continues", "B"),
    ]
    assert [[b.line for b in c.blocks] for c in chains(blocks)] == [[2, 6, 19]]


# ------------------------------------------------------------ requirements
def test_requirements_match_pyproject():
    """README's requirements say what pyproject.toml requires."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    readme = README.read_text()
    requirements = readme[readme.index("## Requirements") :]
    requirements = requirements[: requirements.index("\n## ", 1)]

    python = re.fullmatch(r">=(\d+\.\d+)", project["requires-python"]).group(1)
    assert f"Python {python} or newer" in requirements
    for requirement in project["dependencies"]:
        name, version = re.fullmatch(r"([\w-]+)>=([\d.]+)", requirement).groups()
        assert f"{name} {version}" in requirements, requirement

    rows = dict(re.findall(r"^\| `(\w+)` \| (.*)$", requirements, flags=re.MULTILINE))
    assert set(rows) == set(project["optional-dependencies"])
    extras = project["optional-dependencies"]
    for extra, needs in extras.items():
        for requirement in needs:
            name, op, version = re.fullmatch(r"([\w-]+)(>=|==)([\d.]+)", requirement).groups()
            if extra not in ("test", "docs"):
                assert f"{name} {op} {version}" in rows[extra], (extra, requirement)
            elif not any(requirement in extras[other] for other in extras if other != extra):
                # the tools these two add are named; the test extra's share
                # of the others is "every extra above"
                assert name.lower() in rows[extra].lower(), (extra, requirement)
