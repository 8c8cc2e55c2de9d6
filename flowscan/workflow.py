"""Team workflow around a scan: configuration, baseline, diff mode, unused ignores and
the pre-commit hook, plus the commands that drive them (`flowscan baseline create`,
`flowscan hook`, `flowscan rules explain`). cli.py keeps only the option wiring.

Order of filters, and why: suppressions (in the scan) -> diff base (what the change
introduced) -> baseline (what the team accepted) -> hook file filter (what is staged).
Every step only removes findings; the report is written before the exit code is
decided, so a failing CI still uploads its SARIF.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click


class Failure(click.ClickException):
    """Usage or configuration error: exit code 2 (shared/CONTRACT.md)."""

    exit_code = 2


@dataclass
class Run:
    result: Any  # model.ScanResult, findings filtered
    catalog: Any
    fail_on: str
    report_unused: bool
    messages: list[str] = field(default_factory=list)  # for stderr
    notes: list[tuple[str, str, str | None]] = field(default_factory=list)  # SARIF

    @property
    def exit_code(self) -> int:
        from flowscan.policy import exit_code

        code = exit_code(self.result.findings, self.fail_on)
        if self.report_unused and self.result.unused_ignores:
            code = max(code, 1)
        return code

    def vendors(self) -> dict[str, str]:
        return {vid: self.catalog.vendor_name(vid) for vid in self.catalog.vendors}


def run(paths: list[Path], *, config: Path | None = None, fail_on: str | None = None,
        include_tests: bool = False, jobs: int = 0, exclude: tuple[str, ...] = (),
        max_bytes: int | None = None, baseline: Path | None = None,
        diff_base: str | None = None, report_unused_ignores: bool = False,
        partial: bool = False, timeout: float | None = None, cache: bool = True,
        cache_dir: Path | None = None, progress: bool = False) -> Run:
    """One scan with the project's configuration; command-line values win. `partial`:
    the caller reports a subset (the hook), so stale baseline entries are not listed.
    `cache`, `cache_dir`, `progress`: flowscan/cache.py and flowscan/collect.py."""
    from flowscan.targets import prefetch

    prefetch(paths[0] if paths else Path("."))  # git lists the files while we load
    from flowscan import config as cfgmod
    from flowscan.catalog import RulesError
    from flowscan.diff import DiffError, findings_at, subtract
    from flowscan.scan import Options, run_scan
    from flowscan.targets import DEFAULT_MAX_BYTES

    start = paths[0] if paths else Path(".")
    try:
        cfg = cfgmod.load(config, start=start)
        catalog = cfgmod.build_catalog(cfg)
    except (cfgmod.ConfigError, RulesError) as exc:
        raise Failure(str(exc)) from None
    messages = [f"flowscan: warning: {w}" for w in cfg.warnings]
    targets = list(paths)
    if not targets:
        targets = [cfg.base, *cfg.include_paths()] if cfg.include else [Path(".")]
    for p in targets:
        if not p.exists():
            raise Failure(f"no such file or directory: {p}")
    first = targets[0].resolve()
    scan_root = first if first.is_dir() else first.parent
    report_unused = bool(report_unused_ignores or cfg.report_unused_ignores)
    options = Options(include_tests=include_tests or bool(cfg.include_tests), jobs=jobs,
                      exclude=[*exclude, *cfg.exclude_for(scan_root)],
                      max_bytes=max_bytes or DEFAULT_MAX_BYTES,
                      report_unused_ignores=report_unused, cache=cache,
                      cache_dir=cache_dir, progress=progress)
    if timeout is not None:
        options.timeout = timeout
    result = run_scan(targets, options, catalog)
    out = Run(result, catalog, fail_on or cfg.fail_on or "error", report_unused, messages)

    if diff_base:
        def scan_ref(rebase: Any) -> list[Any]:
            # the checkout's path changes every run: keep its cache next to ours, so
            # unchanged files are not parsed again on the next diff
            ref_options = options
            if options.cache:
                from flowscan.cache import default_dir

                ref_cache = (cache_dir or default_dir(scan_root)) / "diffbase"
                ref_options = dataclasses.replace(options, cache_dir=ref_cache)
            return run_scan([rebase(p) for p in targets], ref_options, catalog).findings

        try:
            base = findings_at(diff_base, scan_root, scan_ref)
        except DiffError as exc:
            raise Failure(str(exc)) from None
        before = len(result.findings)
        result.findings = subtract(result.findings, base) if base is not None else []
        messages.append(f"flowscan: diff against {diff_base}: "
                        f"{before - len(result.findings)} findings already there, hidden")
        if base is None:
            result.unused_ignores = []

    baseline_path = baseline or cfg.baseline_path()
    if baseline_path is not None and baseline is None and not baseline_path.exists():
        messages.append(f"flowscan: warning: baseline {baseline_path} (from {cfg.path}) "
                        "does not exist; create it with `flowscan baseline create`")
        baseline_path = None
    if baseline_path is not None:
        from flowscan.baseline import BaselineError
        from flowscan.baseline import apply as apply_baseline
        from flowscan.baseline import load as load_baseline

        try:
            entries = load_baseline(baseline_path)
        except BaselineError as exc:
            raise Failure(str(exc)) from None
        applied = apply_baseline(result.findings, entries)
        result.findings = applied.new
        if applied.matched:
            messages.append(f"flowscan: {applied.matched} findings in the baseline "
                            f"{baseline_path.name}, hidden")
        if applied.stale and not diff_base and not partial:
            messages.append(f"flowscan: {len(applied.stale)} baseline entries match nothing "
                            f"any more (fixed or moved; prune with `flowscan baseline "
                            f"create -o {baseline_path}`):")
            messages += [f"  {e.describe()}" for e in applied.stale]
            out.notes += [("note", f"baseline entry matches nothing any more: "
                           f"{e.describe()}", e.path) for e in applied.stale]

    if report_unused:
        for u in result.unused_ignores:
            messages.append(u.describe())
            out.notes.append(("warning", u.describe().split(": ", 1)[1], u.span.path))
    return out


def touches(finding: Any, files: set[str]) -> bool:
    """The sink, or any step of any flow into it, is in one of `files`."""
    if finding.span.path in files:
        return True
    return any(st.span.path in files for flow in finding.flows for st in flow.steps)


def echo_messages(messages: list[str]) -> None:
    for line in messages:
        click.echo(line, err=True)


# ---------------------------------------------------------------- commands


@click.group("baseline")
def baseline_group() -> None:
    """Accept today's findings so scans fail only on new ones."""


@baseline_group.command("create")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--output", "-o", type=click.Path(path_type=Path), default=None,
              help="Baseline file (default: `baseline` from the config, else "
                   ".flowscan-baseline.json in the scanned directory).")
@click.option("--config", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Configuration file (default: found from the scanned path).")
@click.option("--include-tests", is_flag=True, help="Also scan test code.")
@click.option("--exclude", multiple=True, help="gitignore-style pattern to leave out.")
@click.option("--jobs", "-j", type=int, default=0, help="Worker processes.")
def baseline_create(paths: tuple[Path, ...], output: Path | None, config: Path | None,
                    include_tests: bool, exclude: tuple[str, ...], jobs: int) -> None:
    """Write the fingerprints of today's findings to a baseline file."""
    from flowscan import config as cfgmod
    from flowscan.baseline import dumps, entries

    r = run(list(paths), config=config, include_tests=include_tests, exclude=exclude,
            jobs=jobs)
    echo_messages([m for m in r.messages if "warning" in m])
    if output is None:
        try:
            cfg = cfgmod.load(config, start=paths[0] if paths else Path("."))
        except cfgmod.ConfigError as exc:
            raise Failure(str(exc)) from None
        output = cfg.baseline_path() or Path(r.result.root) / ".flowscan-baseline.json"
    items = entries(r.result.findings, r.vendors())
    try:
        output.write_text(dumps(items), "utf-8")
    except OSError as exc:
        raise Failure(f"cannot write {output}: {exc.strerror or exc}") from None
    total = sum(e.count for e in items)
    click.echo(f"flowscan: baseline {output}: {total} findings ({len(items)} fingerprints)",
               err=True)


@click.command("hook")
@click.argument("files", nargs=-1)
@click.option("--config", type=click.Path(path_type=Path, dir_okay=False), default=None)
@click.option("--fail-on", type=click.Choice(("error", "warning", "note", "never")),
              default=None, help="Exit 1 at or above this level (default: config, error).")
@click.option("--baseline", type=click.Path(path_type=Path, dir_okay=False), default=None)
@click.option("--jobs", "-j", type=int, default=0)
@click.pass_context
def hook_command(ctx: click.Context, files: tuple[str, ...], config: Path | None,
                 fail_on: str | None, baseline: Path | None, jobs: int) -> None:
    """pre-commit entry point: scan the repository, report findings whose sink or any
    flow step is in FILES (the staged files). Silent when there is nothing to report."""
    from flowscan.diff import DiffError, repo_top
    from flowscan.reporters.text import finding_line

    try:
        top = repo_top(Path("."))
    except DiffError:
        top = Path(".").resolve()
    cwd = Path(".").resolve()
    rel = []
    for name in files:
        p = (cwd / name).resolve()
        try:
            rel.append(p.relative_to(top).as_posix())
        except ValueError:
            continue
    if not rel:
        ctx.exit(0)
    r = run([], config=config, fail_on=fail_on, baseline=baseline, jobs=jobs, partial=True)
    root = Path(r.result.root).resolve()
    prefix = root.relative_to(top.resolve()).as_posix() if root != top.resolve() else ""
    mine = {p[len(prefix) + 1:] if prefix else p for p in rel
            if not prefix or p.startswith(prefix + "/")}
    r.result.findings = [f for f in r.result.findings if touches(f, mine)]
    echo_messages([m for m in r.messages if m.startswith("flowscan: warning")])
    from flowscan.policy import is_suppressed

    shown = [f for f in r.result.findings if not is_suppressed(f) and f.level != "none"]
    code = r.exit_code
    if shown and code:
        vendors = r.vendors()
        for f in sorted(shown):
            click.echo((f"{prefix}/" if prefix else "") + finding_line(f, vendors))
        click.echo(f"flowscan: {len(shown)} finding(s) in staged files. Fix, add "
                   "`# flowscan: ignore[CODE] reason`, or accept with "
                   "`flowscan baseline create`.")
    ctx.exit(code)


@click.command("explain")
@click.argument("rule")
@click.option("--config", type=click.Path(path_type=Path, dir_okay=False), default=None)
def explain_command(rule: str, config: Path | None) -> None:
    """Print what a policy rule (code or slug, e.g. FS101) means and how to fix it, or
    what the catalog covers for a vendor (e.g. mixpanel)."""
    from flowscan import config as cfgmod

    try:
        catalog = cfgmod.build_catalog(cfgmod.load(config, start=Path(".")))
    except cfgmod.ConfigError as exc:
        raise Failure(str(exc)) from None
    policy = catalog.policy
    r = policy.rule(rule) or policy.rule(rule.upper()) or policy.rule(rule.lower())
    if r is None and rule.lower() in catalog.vendors:
        click.echo(vendor_text(catalog, rule.lower()))
        return
    if r is None:
        known = ", ".join(f"{x.code} ({x.slug})" for x in policy.rules)
        raise Failure(f"no rule or vendor {rule!r}; known rules: {known}; vendors: "
                      "`flowscan rules list`")
    click.echo(explain_text(r))


def vendor_text(catalog: Any, vid: str) -> str:
    """What flowscan knows about one vendor: packages, hosts, every sink with the role
    of each argument, callbacks, hooks and configuration leaks, per language."""
    v = catalog.vendors[vid]
    lines = [f"{vid}: {v.get('name', vid)} ({v.get('category', 'other')}, "
             f"tier {v.get('tier', 'sinks')})"]
    if v.get("docs"):
        lines.append(f"Docs: {v['docs']}")
    if v.get("hosts"):
        lines.append(f"API hosts (raw HTTP sinks): {', '.join(v['hosts'])}")
    for lang, spec in sorted((v.get("languages") or {}).items()):
        lines.append(f"\n{lang}: packages {', '.join(spec.get('packages') or ()) or '-'}")
        for name, root in sorted((spec.get("imports") or {}).items()):
            lines.append(f"  import {name} -> {root}")
        for name, root in sorted((spec.get("globals") or {}).items()):
            lines.append(f"  global {name} -> {root}")
        for sink in spec.get("sinks") or ():
            roles = ", ".join(
                f"{a.get('kw') or '#' + str(a.get('pos'))}{'...' if a.get('rest') else ''}"
                f"={a['role']}" for a in sink.get("args", ()))
            lines.append(f"  sink {sink['call']}({roles})")
        for r in spec.get("returns") or ():
            lines.append(f"  returns {r['call']} -> {r['binds']}")
        for c in spec.get("callbacks") or ():
            where = " ".join(f"arg #{c[k]}" if k == "arg" else f"{k} {c[k]}"
                             for k in ("arg", "key", "kw") if k in c)
            sends = ", what it returns is sent" if c.get("sends") else ""
            lines.append(f"  callback {c['call']} {where} param #{c['param']} "
                         f"-> {c['binds']}{sends}")
        for leak in spec.get("config_leaks") or ():
            opt = leak.get("kw") or leak.get("key") or "(any call)"
            val = f" = {leak['equals']!r}" if "equals" in leak else ""
            lines.append(f"  config leak {leak['call']} {opt}{val}: {leak['message']}")
    return "\n".join(lines) + "\n"


def explain_text(r: Any) -> str:
    """The same text SARIF carries as the rule's `help`, for the terminal."""
    cats = f"Categories: {', '.join(r.categories)}\n" if r.categories else ""
    cwe = f" · {', '.join(r.cwe)}" if r.cwe else ""
    example = "\n".join("    " + line for line in r.example.splitlines())
    return (f"{r.code} {r.slug} ({r.level}{cwe})\n{r.title}\n\n{cats}"
            f"{r.description}\n\nWhy it matters:\n{r.why}\n\nExample:\n{example}\n\n"
            f"How to fix:\n{r.fix}\n"
            + (f"\nMore: {r.help_uri}\n" if r.help_uri else "")
            + f"\nSuppress one finding: # flowscan: ignore[{r.code}] <reason>\n")
