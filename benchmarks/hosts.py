"""pluggy's biggest hosts, pytest and Kedro, on real pluggy and on hookwise.compat.pluggy, side by side.

    python benchmarks/hosts.py suites            both hosts' own test suites, on both sides
    python benchmarks/hosts.py suites --host kedro -- -k session   one host, pytest arguments after --
    python benchmarks/hosts.py suites --host pytest --only testing/test_runner.py   some of its tests
    python benchmarks/hosts.py speed             pytest collecting and running 3,000 trivial tests

The script downloads the hosts' sdists from PyPI (pytest 9.2.0, kedro 1.5.0; Kedro's
tests, which its sdist does not ship, come from ``../shared/hosts/kedro-1.5.0-tests.tar.gz``
or ``--kedro-tests``), makes a virtual environment per host under ``--work`` (default
``.hosts/``) with the host, its test dependencies, pluggy 1.6.0 and a wheel of this
checkout, and runs the same command twice:

- ``pluggy``: as the host ships, on real pluggy;
- ``compat``: the same, with ``import pluggy`` answered by ``hookwise.compat.pluggy``
  (a ``.pth`` file puts a small ``pluggy`` package first on ``sys.path`` in every
  interpreter of the environment, subprocesses included; its submodules ``pluggy._manager``,
  ``pluggy._hooks``, ... are hookwise's, so code that patches them patches what runs; its
  ``__file__`` is hookwise's, so pytest's rule that hides frames under pluggy's directory
  covers hookwise's call path, as it covers pluggy's).

``suites`` prints, per host and side, the counts (passed, failed, errors, skipped) and the
wall time (``--rounds N``: the median of N interleaved runs per side; these machines are
noisy), and lists the tests that fail on one side only. ``speed`` runs pytest over
3,000 trivial tests on both sides, interleaved, and prints the medians and their ratio.
It takes a while: the environments take some minutes to build the first time, pytest's
suite about 10 minutes per side and Kedro's about 5 on two cores. Not run in CI.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

ROOT = Path(__file__).resolve().parent.parent
PYTEST = "pytest==9.2.0"
KEDRO = "kedro==1.5.0"
PLUGGY = "pluggy==1.6.0"
KEDRO_TESTS = ROOT.parent / "shared" / "hosts" / "kedro-1.5.0-tests.tar.gz"

SHIM = '''"""``import pluggy`` answered by hookwise.compat.pluggy (benchmarks/hosts.py)."""
import importlib
import sys
import types

import hookwise
from hookwise.compat import pluggy as _compat

for _name in ("_callers", "_hooks", "_manager", "_markers", "_result", "_tracing", "_warnings"):
    sys.modules["pluggy." + _name] = importlib.import_module("hookwise.compat.pluggy." + _name)
_pluggy = types.ModuleType("pluggy", _compat.__doc__)
_pluggy.__dict__.update({k: v for k, v in vars(_compat).items() if k[:2] != "__" or k in ("__all__", "__version__")})
_pluggy.__path__ = _compat.__path__
# pytest leaves out of tracebacks the frames under the directory of pluggy.__file__: the
# package standing in for pluggy is all of hookwise, whose call path spans its modules.
_pluggy.__file__ = hookwise.__file__
sys.modules["pluggy"] = _pluggy
'''


@dataclass
class Host:
    name: str
    requirement: str
    extra: str
    constraints: list[str]
    tests: list[str]
    options: list[str] = field(default_factory=list)


HOSTS = {
    "pytest": Host("pytest", PYTEST, "dev", [], ["testing"]),
    "kedro": Host(
        "kedro",
        KEDRO,
        "test",
        ["click<8.3"],
        ["tests"],
        # Kedro's addopts measure coverage; the comparison runs without it on both sides.
        ["-o", "addopts=", "--ignore=tests/template/fake_repo", "-p", "no:cacheprovider", "-W", "ignore"],
    ),
}


def run(command: list[str]) -> None:
    print("$", " ".join(command), flush=True)
    subprocess.run(command, check=True)  # noqa: S603 - our own commands


def source_of(host: Host, work: Path, kedro_tests: Path) -> Path:
    """The host's sdist, unpacked (with Kedro's tests beside its code)."""
    sdists = work / "sdists"
    name, version = host.requirement.split("==")
    unpacked = work / f"{name}-{version}"
    if unpacked.exists():
        return unpacked
    sdists.mkdir(parents=True, exist_ok=True)
    pip = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:"]
    run([*pip, host.requirement, "-d", str(sdists)])
    with tarfile.open(sdists / f"{name}-{version}.tar.gz") as archive:
        archive.extractall(work, filter="data")
    if name == "kedro":
        if not kedro_tests.exists():
            raise SystemExit(f"Kedro's tests are not in its sdist: expected them at {kedro_tests} (--kedro-tests)")
        with tarfile.open(kedro_tests) as archive:
            archive.extractall(unpacked, filter="data")
    return unpacked


def environment_of(host: Host, work: Path, source: Path) -> Path:
    """A virtual environment with the host, its test dependencies, pluggy and this checkout's hookwise."""
    venv = work / f"venv-{host.name}"
    python = venv / "bin" / "python"
    if not python.exists():
        run([sys.executable, "-m", "venv", str(venv)])
        constraints = work / f"constraints-{host.name}.txt"
        constraints.write_text("\n".join([PLUGGY, *host.constraints]) + "\n")
        run([str(python), "-m", "pip", "install", "-q", "-c", str(constraints), f"{source}[{host.extra}]", PLUGGY])
    # This checkout as a wheel (not editable): the run sees the code as it was when it started.
    run([str(python), "-m", "pip", "install", "-q", "--force-reinstall", "--no-deps", str(ROOT)])
    shim = work / "shim" / "pluggy"
    shim.mkdir(parents=True, exist_ok=True)
    (shim / "__init__.py").write_text(SHIM)
    return venv


def use_compat(venv: Path, work: Path, on: bool) -> None:
    """Answer ``import pluggy`` with hookwise.compat.pluggy in every interpreter of ``venv`` (or stop)."""
    site = next((venv / "lib").glob("python3*/site-packages"))
    pth = site / "000-hookwise-as-pluggy.pth"
    if on:
        pth.write_text(f"import sys; sys.path.insert(0, {str(work / 'shim')!r})\n")
    elif pth.exists():
        pth.unlink()


@dataclass
class Outcome:
    side: str
    seconds: float
    counts: dict[str, int]
    failing: set[str]


def suite(
    host: Host, venv: Path, source: Path, work: Path, side: str, arguments: list[str], only: list[str]
) -> Outcome:
    use_compat(venv, work, side == "compat")
    report = work / f"{host.name}-{side}.xml"
    report.unlink(missing_ok=True)
    tests = only or host.tests
    command = [str(venv / "bin" / "python"), "-m", "pytest", *host.options, *tests, "-q", f"--junitxml={report}"]
    log = work / f"{host.name}-{side}.log"
    print(f"$ {' '.join(command + arguments)}  > {log}", flush=True)
    start = time.perf_counter()
    with log.open("w") as output:
        subprocess.run(command + arguments, cwd=source, stdout=output, stderr=subprocess.STDOUT, check=False)  # noqa: S603
    seconds = time.perf_counter() - start
    use_compat(venv, work, False)
    counts = {"passed": 0, "failed": 0, "errors": 0, "skipped": 0}
    failing: set[str] = set()
    if not report.exists():  # the run ended before it could write its report
        print(log.read_text()[-3000:])
        return Outcome(side, seconds, counts, {"<the whole run>"})
    for case in ElementTree.parse(report).iter("testcase"):  # noqa: S314 - pytest's report of our own run
        test = f"{case.get('classname')}::{case.get('name')}"
        if case.find("failure") is not None:
            counts["failed"] += 1
            failing.add(test)
        elif case.find("error") is not None:
            counts["errors"] += 1
            failing.add(test)
        elif case.find("skipped") is not None:
            counts["skipped"] += 1
        else:
            counts["passed"] += 1
    return Outcome(side, seconds, counts, failing)


def suites(arguments: argparse.Namespace, extra: list[str]) -> int:
    work: Path = arguments.work
    worse = 0
    for name in arguments.host:
        host = HOSTS[name]
        source = source_of(host, work, arguments.kedro_tests)
        venv = environment_of(host, work, source)
        only = arguments.only or []
        rounds = [
            [suite(host, venv, source, work, side, extra, only) for side in ("pluggy", "compat")]
            for _ in range(arguments.rounds)
        ]
        outcomes = rounds[-1]
        walls = {side: statistics.median(r[i].seconds for r in rounds) for i, side in enumerate(("pluggy", "compat"))}
        print(f"\n{host.requirement} own suite ({' '.join((only or host.tests) + extra)}), {len(rounds)} round(s):")
        print(f"{'side':<8} {'passed':>7} {'failed':>7} {'errors':>7} {'skipped':>8} {'wall':>9}  each round")
        for outcome in outcomes:
            c = outcome.counts
            figures = f"{c['passed']:>7} {c['failed']:>7} {c['errors']:>7} {c['skipped']:>8}"
            each = " ".join(f"{r[0 if outcome.side == 'pluggy' else 1].seconds:.1f}" for r in rounds)
            print(f"{outcome.side:<8} {figures} {walls[outcome.side]:>8.1f}s  {each}")
        pluggy, compat = outcomes
        print(f"compat / pluggy wall time (medians): {walls['compat'] / walls['pluggy']:.2f}x")
        differences = (
            ("only on compat", compat.failing - pluggy.failing),
            ("only on pluggy", pluggy.failing - compat.failing),
        )
        for label, tests in differences:
            print(f"failing {label}: {len(tests)}")
            for test in sorted(tests):
                print(f"  {test}")
        worse += len(compat.failing - pluggy.failing)
    return 1 if worse else 0


def speed(arguments: argparse.Namespace, extra: list[str]) -> int:
    """pytest over 3,000 trivial tests, where hook dispatch is a large share of the time."""
    work: Path = arguments.work
    host = HOSTS["pytest"]
    source = source_of(host, work, arguments.kedro_tests)
    venv = environment_of(host, work, source)
    project = work / "trivial"
    shutil.rmtree(project, ignore_errors=True)
    project.mkdir()
    (project / "pytest.ini").write_text("[pytest]\n")
    for module in range(30):
        body = "".join(f"def test_{number}():\n    pass\n\n\n" for number in range(100))
        (project / f"test_trivial_{module}.py").write_text(body)
    # Without hookwise's own pytest plugin: on the pluggy side pytest would import and rewrite
    # hookwise's modules for it, which the compat side (hookwise already imported) skips.
    python = str(venv / "bin" / "python")
    command = [python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-p", "no:hookwise", *extra]
    times: dict[str, list[float]] = {"pluggy": [], "compat": []}
    for _ in range(arguments.rounds):
        for side, seconds in times.items():
            use_compat(venv, work, side == "compat")
            start = time.perf_counter()
            done = subprocess.run(command, cwd=project, capture_output=True, text=True, check=False)  # noqa: S603
            seconds.append(time.perf_counter() - start)
            if done.returncode != 0 or "3000 passed" not in done.stdout:
                print(done.stdout[-2000:], done.stderr[-2000:])
                raise SystemExit(f"{side}: pytest did not pass the 3,000 trivial tests")
    use_compat(venv, work, False)
    pluggy, compat = (statistics.median(times[side]) for side in ("pluggy", "compat"))
    print(f"\npytest collecting and running 3,000 trivial tests, medians of {arguments.rounds} interleaved rounds:")
    print(f"pluggy {pluggy:.2f} s, compat {compat:.2f} s: compat / pluggy {compat / pluggy:.2f}x")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["suites", "speed"])
    parser.add_argument("--host", action="append", choices=sorted(HOSTS), help="pytest, kedro (default: both)")
    parser.add_argument("--work", type=Path, default=ROOT / ".hosts", help="where sdists and environments go")
    parser.add_argument("--kedro-tests", type=Path, default=KEDRO_TESTS, help="Kedro's tests/ at tag 1.5.0, as .tar.gz")
    parser.add_argument("--rounds", type=int, default=None, help="rounds per side (suites: 1, speed: 5)")
    parser.add_argument("--only", action="append", metavar="PATH", help="suites: these tests, not the whole suite")
    argv = sys.argv[1:]
    extra = argv[argv.index("--") + 1 :] if "--" in argv else []
    arguments = parser.parse_args(argv[: argv.index("--")] if "--" in argv else argv)
    arguments.host = arguments.host or sorted(HOSTS, reverse=True)
    arguments.rounds = arguments.rounds or (1 if arguments.what == "suites" else 5)
    arguments.work = arguments.work.resolve()
    arguments.work.mkdir(parents=True, exist_ok=True)
    os.environ.pop("PYTHONPATH", None)
    return suites(arguments, extra) if arguments.what == "suites" else speed(arguments, extra)


if __name__ == "__main__":
    sys.exit(main())
