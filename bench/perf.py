"""Speed of flowscan against the parse floor, measured in the same run.

    python bench/perf.py [TREE ...] [--jobs N] [--runs 3] [--scale 10] [--copies 3]
                         [--hook-repeats 3] [--include-tests]

Each TREE is copied into a temporary directory (the benchmark edits files and writes
`.flowscan-cache/` there; your tree is never touched); with --copies K, K copies of it
side by side make one tree (formbricks x3 is a vendor-heavy tree of about a million
lines). Without TREE, the default trees are built from sources available offline: the
Python standard library of this interpreter (its test packages are left out, as a scan
leaves out test code by default) and, when `npm` can reach its registry, the sources
of NPM_PACKAGES copied out of node_modules (discovery skips node_modules).

Printed per tree, medians over --runs runs:
  floor      tree-sitter parsing the same files with the same number of worker processes
  cold       `flowscan scan` with an empty cache (the catalog cache stays warm: it is
             per installation, not per repository); cold-files is its file stage
             (discovery, reading, parsing, facts, lowering: what this benchmark's floor
             compares with) and cold-analysis the whole-program analysis after it
  warm       the same scan again, nothing changed
  edit-1     warm re-scan after editing one file the analysis does not read, and
  edit-1r    one it does (the analysis starts from the stored one and runs again only
             what the edit could change: analysis/incremental.py); *-units: functions
             and module bodies interpreted, cold and after that edit
  hook-5     `flowscan hook` on 5 edited, staged files (interpreter start-up included),
             with a warm and with a cold cache; the warm one is timed --hook-repeats
             times per run, each from a copy of the cache as the hook met it (a run of
             half a second moves by a tenth on a shared machine: 3 samples are too few)
  rss        peak resident memory of the scanning process (workers are smaller)
With --scale K the cold scan of K copies of the tree is timed too (cost per line).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

NPM_PACKAGES = ["rxjs", "date-fns", "zod", "@mui/material", "posthog-js", "@sentry/core",
                "@sentry/browser", "@sentry/node", "three", "lodash-es", "antd"]
STDLIB_SKIP = {"test", "idlelib", "site-packages", "lib2to3", "tkinter", "turtledemo"}

RUN = """
import json, resource, sys
from flowscan.entry import start_listing
start_listing(sys.argv[1:])  # as the console script does, before the command line loads
import flowscan.scan
from flowscan.cli import main
stats = {}
def run_scan(*args, _run=flowscan.scan.run_scan, **kwargs):
    result = _run(*args, **kwargs)
    stats.update(result.stats)
    return result
flowscan.scan.run_scan = run_scan
rc = main(sys.argv[1:])
ru = resource.getrusage
own = ru(resource.RUSAGE_SELF).ru_maxrss
try:  # this process's own peak: ru_maxrss of a process spawned by a larger one (this
    # benchmark, after it read a big tree) starts at its parent's peak on Linux
    with open("/proc/self/status") as status:
        own = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
except (OSError, StopIteration, ValueError):
    pass
sys.stderr.write("\\nBENCH-RSS %d %d\\n" % (own, ru(resource.RUSAGE_CHILDREN).ru_maxrss))
sys.stderr.write("BENCH-STATS " + json.dumps(stats) + "\\n")
sys.exit(rc)
"""


# ---------------------------------------------------------------- the floor


def _parse_only(args: tuple[str, list[str]]) -> int:
    from tree_sitter import Parser

    from flowscan.frontends import frontend_for

    root, rels = args
    parsers: dict[str, Parser] = {}
    for rel in rels:
        fe = frontend_for(rel)
        if fe is None:
            continue
        parser = parsers.get(fe.name)
        if parser is None:
            parser = parsers[fe.name] = Parser(fe.ts_language)  # type: ignore[attr-defined]
        with contextlib.suppress(OSError):
            parser.parse((Path(root) / rel).read_bytes())
    return len(rels)


def floor(root: Path, files: list[str], jobs: int) -> float:
    """What reading the code once costs: read and parse every file, nothing else."""
    started = time.perf_counter()
    parts = [(str(root), files[i::jobs * 8]) for i in range(jobs * 8)]
    if jobs <= 1:
        for p in parts:
            _parse_only(p)
    else:
        with ProcessPoolExecutor(jobs) as pool:
            list(pool.map(_parse_only, parts))
    return time.perf_counter() - started


# ---------------------------------------------------------------- running flowscan


class Runner:
    def __init__(self) -> None:
        self.rss_kb = 0
        self.stats: dict[str, float] = {}  # the last run's ScanResult.stats

    def __call__(self, args: list[str], cwd: Path) -> float:
        started = time.perf_counter()
        proc = subprocess.run([sys.executable, "-c", RUN, *args], cwd=cwd,
                              capture_output=True, text=True, check=False)
        wall = time.perf_counter() - started
        if proc.returncode not in (0, 1):
            raise SystemExit(f"flowscan {' '.join(args)} failed ({proc.returncode}):\n"
                             f"{proc.stderr[-2000:]}")
        for line in proc.stderr.splitlines():
            if line.startswith("BENCH-RSS "):
                _, own, _children = line.split()
                self.rss_kb = max(self.rss_kb, int(own))
            elif line.startswith("BENCH-STATS "):
                self.stats = json.loads(line[len("BENCH-STATS "):])
        return wall


def scan_args(root: Path, jobs: int) -> list[str]:
    return ["scan", str(root), "--format", "json", "-o", os.devnull, "-q", "-j", str(jobs)]


def drop_cache(root: Path) -> None:
    shutil.rmtree(root / ".flowscan-cache", ignore_errors=True)


def edit(root: Path, rel: str, n: int) -> None:
    """A code edit, not a comment: a new function changes the file's lowered module,
    so an edit of a file the analysis reads re-runs what the edit could change."""
    if rel.endswith((".py", ".pyi")):
        code = f"\n\ndef _flowscan_bench_edit_{n}(value):\n    return value + {n}\n"
    elif rel.endswith((".vue", ".svelte")):  # outside the script block: markup
        code = f"\n<!-- flowscan bench edit {n} -->\n"
    else:
        code = f"\nfunction flowscanBenchEdit{n}(value) {{ return value + {n}; }}\n"
    with open(root / rel, "a", encoding="utf-8") as f:
        f.write(code)


def relevant_files(root: Path, include_tests: bool) -> tuple[list[str], set[str], int]:
    """The files a scan reads, those the analysis reads, and their line count."""
    from flowscan.scan import Options, run_scan

    result = run_scan([root], Options(include_tests=include_tests, cache=False))
    lines = sum(f.lines for f in result.files if f.lines)
    files = [f.path for f in result.files if f.status != "skipped"]
    return files, set(result.analysed), lines


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True,
                   env={**os.environ, "GIT_AUTHOR_NAME": "bench", "GIT_AUTHOR_EMAIL": "b@x",
                        "GIT_COMMITTER_NAME": "bench", "GIT_COMMITTER_EMAIL": "b@x"})


# ---------------------------------------------------------------- one tree


def bench_tree(name: str, root: Path, jobs: int, runs: int, include_tests: bool,
               scale: int, hook_repeats: int = 3) -> dict[str, float]:
    run = Runner()
    extra = ["--include-tests"] if include_tests else []
    files, relevant, lines = relevant_files(root, include_tests)
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "bench")
    args = scan_args(root, jobs) + extra
    out: dict[str, float] = {"files": len(files), "lines": lines, "relevant": len(relevant)}
    out["floor"] = statistics.median(floor(root, files, jobs) for _ in range(runs))
    colds, warms, files_stage, analysis, units = [], [], [], [], []
    for _ in range(runs):
        drop_cache(root)
        colds.append(run(args, root))
        files_stage.append(run.stats.get("seconds_files", float("nan")))
        analysis.append(run.stats.get("seconds_analysis", float("nan")))
        units.append(run.stats.get("units_run", float("nan")))
        warms.append(run(args, root))
    out["cold"], out["warm"] = statistics.median(colds), statistics.median(warms)
    out["cold-files"] = statistics.median(files_stage)
    out["cold-analysis"] = statistics.median(analysis)
    out["cold-units"] = statistics.median(units)
    plain = [f for f in files if f not in relevant]
    rel = sorted(relevant)
    n = 0
    for key, pool in (("edit-1", plain), ("edit-1r", rel)):
        times: list[float] = []
        edited_units: list[float] = []
        for i in range(runs):
            if not pool:
                break
            n += 1
            edit(root, pool[(i * 7919) % len(pool)], n)
            times.append(run(args, root))
            edited_units.append(run.stats.get("units_run", float("nan")))
        out[key] = statistics.median(times) if times else float("nan")
        out[key + "-units"] = statistics.median(edited_units) if edited_units else float("nan")
    staged = [files[(i * 104729) % len(files)] for i in range(5)]
    hook = ["hook", *staged]
    warm_hook, cold_hook = [], []
    for _ in range(runs):
        run(args, root)  # the cache holds the last commit's state
        for rel_path in staged:
            n += 1
            edit(root, rel_path, n)
        git(root, "add", *staged)
        kept = root.parent / f"{root.name}-hook-cache"  # the cache as the hook meets it:
        shutil.copytree(root / ".flowscan-cache", kept)  # the same run, timed again
        for _ in range(hook_repeats):
            drop_cache(root)
            shutil.copytree(kept, root / ".flowscan-cache")
            warm_hook.append(run(hook, root))
        shutil.rmtree(kept)
        drop_cache(root)
        cold_hook.append(run(hook, root))
    out["hook-5"] = statistics.median(warm_hook)
    out["hook-5-cold"] = statistics.median(cold_hook)
    out["rss-mb"] = run.rss_kb / 1024
    if scale > 1:
        big = root.parent / f"{root.name}-x{scale}"
        big.mkdir()
        for i in range(scale):
            shutil.copytree(root, big / f"copy{i}", symlinks=True, ignore=shutil.ignore_patterns(
                ".git", ".flowscan-cache"))
        big_args = scan_args(big, jobs) + extra
        times = []
        for _ in range(max(1, runs // 2)):
            drop_cache(big)
            times.append(run(big_args, big))
        out[f"cold-x{scale}"] = statistics.median(times)
        out["rss-mb"] = run.rss_kb / 1024
        shutil.rmtree(big, ignore_errors=True)
    return out


# ---------------------------------------------------------------- default trees


def stdlib_tree(dest: Path) -> Path:
    src = Path(sysconfig.get_paths()["stdlib"])
    shutil.copytree(src, dest, ignore=lambda d, names: [
        n for n in names if n in STDLIB_SKIP or n == "__pycache__"
        or (os.path.isfile(os.path.join(d, n)) and not n.endswith(".py"))])
    return dest


def npm_tree(dest: Path) -> Path | None:
    npm = shutil.which("npm")
    if npm is None:
        return None
    work = dest.parent / "npm-install"
    work.mkdir()
    proc = subprocess.run([npm, "install", "--prefix", str(work), "--ignore-scripts",
                           "--no-audit", "--no-fund", *NPM_PACKAGES],
                          capture_output=True, check=False)
    if proc.returncode != 0:
        print(f"npm install failed; skipping the JS/TS tree:\n{proc.stderr[-800:]!r}",
              file=sys.stderr)
        return None
    dest.mkdir()
    for pkg in NPM_PACKAGES:
        src = work / "node_modules" / pkg
        if src.is_dir():
            shutil.copytree(src, dest / pkg.replace("/", "__"), symlinks=True,
                            ignore=shutil.ignore_patterns("node_modules"))
    shutil.rmtree(work, ignore_errors=True)
    return dest


# ---------------------------------------------------------------- report


COLUMNS = [("files", "{:.0f}"), ("lines", "{:.0f}"), ("relevant", "{:.0f}"),
           ("floor", "{:.2f}s"), ("cold", "{:.2f}s"), ("cold/floor", "{:.1f}x"),
           ("cold-files", "{:.2f}s"), ("files/floor", "{:.1f}x"), ("cold-analysis", "{:.2f}s"),
           ("cold-units", "{:.0f}"), ("warm", "{:.2f}s"), ("edit-1", "{:.2f}s"),
           ("edit-1r", "{:.2f}s"), ("edit-1r-units", "{:.0f}"),
           ("hook-5", "{:.2f}s"), ("hook-5-cold", "{:.2f}s"), ("rss-mb", "{:.0f}MB")]


def report(name: str, r: dict[str, float]) -> None:
    r["cold/floor"] = r["cold"] / r["floor"] if r["floor"] else float("nan")
    r["files/floor"] = r["cold-files"] / r["floor"] if r["floor"] else float("nan")
    print(f"\n== {name}")
    for key, fmt in COLUMNS + [(k, "{:.2f}s") for k in r if k.startswith("cold-x")]:
        if key in r:
            print(f"  {key:<12} {fmt.format(r[key])}")
    for key in [k for k in r if k.startswith("cold-x")]:
        k = int(key[6:])
        print(f"  {'scaling':<12} x{k} tree costs {r[key] / r['cold']:.1f}x (linear: {k}x)")


def compile_bytecode() -> None:
    """As `pip install` does: with PYTHONDONTWRITEBYTECODE set (as on some CI machines)
    and an editable install, every timed run would otherwise compile flowscan's modules
    from source (about 70 ms)."""
    import compileall

    import flowscan

    compileall.compile_dir(os.path.dirname(flowscan.__file__), quiet=1)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("trees", nargs="*", type=Path)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--hook-repeats", type=int, default=3)
    ap.add_argument("--scale", type=int, default=0, help="also time K copies of each tree")
    ap.add_argument("--copies", type=int, default=1,
                    help="benchmark K copies of each TREE side by side, as one tree")
    ap.add_argument("--include-tests", action="store_true")
    ns = ap.parse_args(argv)
    print(f"machine: {os.cpu_count()} CPUs, jobs {ns.jobs}, runs {ns.runs}, "
          f"python {sys.version.split()[0]}, load average {os.getloadavg()[0]:.1f}")
    compile_bytecode()
    with tempfile.TemporaryDirectory(prefix="flowscan-bench-") as tmp:
        trees: list[tuple[str, Path]] = []
        for t in ns.trees:
            dest = Path(tmp) / t.resolve().name
            for i in range(ns.copies):
                shutil.copytree(t, dest / f"copy{i}" if ns.copies > 1 else dest,
                                symlinks=True, ignore=shutil.ignore_patterns(
                                    ".git", ".flowscan-cache", "node_modules"))
            trees.append((f"{t} x{ns.copies}" if ns.copies > 1 else str(t), dest))
        if not ns.trees:
            trees.append(("python stdlib", stdlib_tree(Path(tmp) / "stdlib")))
            js = npm_tree(Path(tmp) / "npm-sources")
            if js is not None:
                trees.append(("npm sources", js))
        for name, root in trees:
            report(name, bench_tree(name, root, ns.jobs, ns.runs, ns.include_tests,
                                    ns.scale, ns.hook_repeats))
    return 0


if __name__ == "__main__":
    sys.exit(main())
