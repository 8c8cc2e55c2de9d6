"""The `flowscan` command. Heavy modules are imported inside commands so that
`flowscan --version` and `--help` stay instant."""

from __future__ import annotations

import gc
import sys
from pathlib import Path
from typing import Any

import click

from flowscan import __version__

FORMATS = ("text", "json", "sarif", "gitlab-sast")
FAIL_ON = ("error", "warning", "note", "never")


class UsageFailure(click.ClickException):
    exit_code = 2


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="flowscan")
@click.option("--debug", is_flag=True, hidden=True, help="Show tracebacks.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Which personal data does this code send to which third party?"""
    ctx.obj = {"debug": debug}


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True)
@click.option("--output", "-o", type=click.Path(path_type=Path), help="Write the report here.")
@click.option("--fail-on", type=click.Choice(FAIL_ON), default=None,
              help="Exit 1 when a finding is at or above this level [config, else error].")
@click.option("--include-tests", is_flag=True, help="Also scan test code.")
@click.option("--jobs", "-j", type=int, default=0, help="Worker processes (default: CPUs).")
@click.option("--exclude", multiple=True, help="gitignore-style pattern to leave out.")
@click.option("--trace", is_flag=True, help="Text: show the path of each flow.")
@click.option("--max-bytes", type=int, default=None, help="Skip files larger than this.")
@click.option("--config", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Configuration file (default: found from the scanned path upwards).")
@click.option("--baseline", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Report and fail only on findings not in this baseline file.")
@click.option("--diff-base", metavar="REF", default=None,
              help="Report only findings introduced relative to this git ref.")
@click.option("--report-unused-ignores", is_flag=True,
              help="Report (and fail on) flowscan ignore comments that suppress nothing.")
@click.option("--strict", is_flag=True,
              help="Exit 2 when a file was only partly parsed or could not be read.")
@click.option("--no-redact", is_flag=True,
              help="Show secrets and personal data written as literals in snippets.")
@click.option("--timeout", type=click.FloatRange(min=0), default=None,
              help="Seconds of work per file before it is skipped [20; 0: no limit].")
@click.option("--no-cache", is_flag=True, help="Neither read nor write the cache.")
@click.option("--cache-dir", type=click.Path(path_type=Path, file_okay=False), default=None,
              help="Cache directory [.flowscan-cache in the root, else the user cache].")
@click.option("--quiet", "-q", is_flag=True, help="No progress on stderr.")
@click.pass_context
def scan(ctx: click.Context, paths: tuple[Path, ...], fmt: str, output: Path | None,
         fail_on: str | None, include_tests: bool, jobs: int, exclude: tuple[str, ...],
         trace: bool, max_bytes: int | None, config: Path | None, baseline: Path | None,
         diff_base: str | None, report_unused_ignores: bool, strict: bool = False,
         no_redact: bool = False, timeout: float | None = None, no_cache: bool = False,
         cache_dir: Path | None = None, quiet: bool = False) -> None:
    """Scan PATHS (default: the current directory) for personal data sent to vendors."""
    from flowscan.reporters import REPORTERS
    from flowscan.workflow import echo_messages, run

    r = run(list(paths), config=config, fail_on=fail_on, include_tests=include_tests,
            jobs=jobs, exclude=exclude, max_bytes=max_bytes, baseline=baseline,
            diff_base=diff_base, report_unused_ignores=report_unused_ignores,
            timeout=timeout, cache=not no_cache, cache_dir=cache_dir, progress=not quiet)
    if not no_redact:  # flowscan/redact.py: no literal secret reaches a report
        from flowscan.redact import redact_result

        r.result = redact_result(r.result, r.catalog.taxonomy.classify_literal)
    extra: dict[str, Any] = {}
    if fmt == "sarif":  # one-click fixes; parses only the files that have findings
        from flowscan.fix import sarif_fixes

        extra["fixes"] = sarif_fixes(r.result, taxonomy=r.catalog.taxonomy)
    text = REPORTERS[fmt].render(r.result, r.catalog.policy, vendors=r.vendors(),
                                 trace=trace, notes=r.notes, **extra)
    _write(text, output)  # always written, whatever the exit code
    echo_messages(r.messages)
    code = r.exit_code
    if strict:  # every file accounted for is not enough: every one must be read whole
        from flowscan.limits import is_incomplete

        bad = [o for o in r.result.files if is_incomplete(o.status, o.reason)]
        if bad:
            click.echo(f"flowscan: --strict: {len(bad)} file(s) not fully analysed, "
                       f"e.g. {bad[0].path}: {bad[0].status}: {bad[0].reason}", err=True)
            code = 2
    ctx.exit(code)


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--kind", type=click.Choice(("drop", "pseudonymise", "suppress")), required=True,
              help="Remove the field, wrap it in your sanitiser, or add an ignore comment.")
@click.option("--rule", "rules", multiple=True, help="Only findings of this rule id.")
@click.option("--vendor", "vendors", multiple=True, help="Only findings for this vendor id.")
@click.option("--category", "categories", multiple=True, help="Only findings with this category.")
@click.option("--finding", "fingerprints", multiple=True, help="Only this fingerprint (prefix).")
@click.option("--reason", default="", help="suppress: why the flow is acceptable (required).")
@click.option("--sanitiser", "sanitisers", multiple=True, metavar="LANG=MODULE:FUNCTION",
              help="pseudonymise: e.g. python=myapp.privacy:hash_pii.")
@click.option("--dry-run", "mode", flag_value="dry-run", help="Print the diff only "
              "(default when not on a terminal).")
@click.option("--apply", "mode", flag_value="apply", help="Write the changes.")
@click.option("--force", is_flag=True, help="Also edit files with uncommitted changes.")
@click.option("--include-tests", is_flag=True, help="Also scan test code.")
@click.option("--exclude", multiple=True, help="gitignore-style pattern to leave out.")
@click.option("--jobs", "-j", type=int, default=0, help="Worker processes (default: CPUs).")
@click.option("--config", type=click.Path(path_type=Path, dir_okay=False), default=None,
              help="Configuration file (default: found from the scanned path upwards).")
@click.pass_context
def fix(ctx: click.Context, paths: tuple[Path, ...], mode: str | None, **kw: Any) -> None:
    """Rewrite the calls that leak personal data (diff on stdout; see README "Fixing")."""
    from flowscan.fix.command import FixUsageError, Request, run

    try:
        ctx.exit(run(Request(list(paths), mode=mode or "auto", **kw)))
    except FixUsageError as exc:
        raise UsageFailure(str(exc)) from None


@cli.command()
@click.argument("location")
@click.option("--root", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=None, help="The project root to analyse (default: the git top level "
              "of FILE, else the nearest directory above it with a project manifest).")
@click.option("--include-tests", is_flag=True, help="Also scan test code.")
def explain(location: str, root: Path | None, include_tests: bool) -> None:
    """Explain the finding(s) at FILE:LINE: how each field was classified and its path."""
    from flowscan.explain import render
    from flowscan.scan import Options, run_scan

    path_text, _, line_text = location.rpartition(":")
    if not path_text or not line_text.isdigit():
        raise UsageFailure(f"expected FILE:LINE, got {location!r}")
    path = Path(path_text)
    if not path.is_file():
        raise UsageFailure(f"no such file: {path}")
    root = root or _project_root(path)
    try:
        rel = path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        raise UsageFailure(f"{path} is not under {root}") from None
    catalog = _catalog()
    result = run_scan([root], Options(include_tests=include_tests), catalog)
    line = int(line_text)
    hits = [f for f in result.findings if f.span.path == rel and f.span.line == line]
    if not hits:
        click.echo(f"no finding at {rel}:{line}", err=True)
        raise click.exceptions.Exit(1)
    vendors = {vid: catalog.vendor_name(vid) for vid in catalog.vendors}
    titles = {c: catalog.taxonomy.title(c) for c in catalog.taxonomy.categories}
    click.echo(render(hits, vendors, titles), nl=False)


PROJECT_MARKERS = ("pyproject.toml", "setup.py", "setup.cfg", "requirements.txt",
                   "package.json", "tsconfig.json", ".flowscan.yml", ".flowscanignore")


def _project_root(path: Path) -> Path:
    """The git top level of FILE; outside git, the nearest directory above it that looks
    like a project (a manifest), else FILE's own directory: never the current directory,
    which may be a home or /tmp full of other code."""
    import subprocess

    here = path.resolve().parent
    try:
        top = subprocess.run(["git", "-C", str(here), "rev-parse", "--show-toplevel"],
                             capture_output=True, text=True, check=True)
        return Path(top.stdout.strip())
    except (OSError, subprocess.CalledProcessError):
        pass
    for d in (here, *here.parents):
        if any((d / m).exists() for m in PROJECT_MARKERS):
            return d
    return here


@cli.group()
def rules() -> None:
    """The vendor catalog, data categories and policy rules."""


@rules.command("list")
@click.option("--format", "fmt", type=click.Choice(("text", "json")), default="text")
def rules_list(fmt: str) -> None:
    """Vendors (languages, packages, sink counts) and data categories."""
    import json

    catalog = _catalog()
    vendors = []
    for vid in sorted(catalog.vendors):
        v = catalog.vendors[vid]
        langs = {}
        for lang, spec in sorted((v.get("languages") or {}).items()):
            langs[lang] = {"packages": sorted(spec.get("packages") or ()),
                           "imports": sorted(spec.get("imports") or ()),
                           "globals": sorted(spec.get("globals") or ()),
                           "sinks": len(spec.get("sinks") or ())}
        vendors.append({"id": vid, "name": v.get("name", vid), "category": v.get("category"),
                        "tier": v.get("tier", "sinks"), "hosts": sorted(v.get("hosts") or ()),
                        "languages": langs})
    tax = catalog.taxonomy
    categories = [{"id": c, "title": tax.title(c), "fideslang": tax.fideslang(c)}
                  for c in tax.categories]
    if fmt == "json":
        click.echo(json.dumps({"vendors": vendors, "categories": categories}, indent=2))
        return
    click.echo(f"{len(vendors)} vendors")
    for v in vendors:
        langs = ", ".join(f"{lang} ({info['sinks']} sinks: {', '.join(info['packages'])})"
                          for lang, info in v["languages"].items())
        click.echo(f"  {v['id']:<22} {v['name']:<24} {langs}")
    click.echo(f"{len(categories)} data categories")
    for c in categories:
        click.echo(f"  {c['id']:<16} {c['title']}")


from flowscan.workflow import baseline_group, explain_command, hook_command  # noqa: E402

cli.add_command(baseline_group)
cli.add_command(hook_command)
rules.add_command(explain_command)


def _catalog() -> Any:
    from flowscan.catalog import RulesError, load_catalog

    try:
        return load_catalog()
    except RulesError as exc:
        raise UsageFailure(str(exc)) from None


def _write(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, "utf-8")
    except OSError as exc:
        raise UsageFailure(f"cannot write {output}: {exc.strerror or exc}") from None


from flowscan.mapcli import diff_command, map_command  # noqa: E402  (docs/datamap.md)

cli.add_command(map_command)
cli.add_command(diff_command)


def main(argv: list[str] | None = None) -> int:
    # A young-generation collection every 5,000 allocations, not 700: a scan makes
    # millions of short-lived objects, and the default spent 44 ms of a 0.6 s pre-commit
    # run and 0.7 s of a cold scan of formbricks collecting (20 ms and 0.4 s now; peak
    # memory unchanged). Restored after, for callers that run main() in-process.
    thresholds = gc.get_threshold()
    gc.set_threshold(5000, *thresholds[1:])
    try:
        return _main(argv)
    finally:
        gc.set_threshold(*thresholds)


def _main(argv: list[str] | None) -> int:
    debug = "--debug" in (argv if argv is not None else sys.argv[1:])
    try:
        # click >= 8.2 returns ctx.exit()'s code when not standalone; older ones raise
        rc = cli.main(args=argv, prog_name="flowscan", standalone_mode=False)
        if isinstance(rc, int):
            return rc
    except click.exceptions.Exit as exc:
        return int(exc.exit_code or 0)
    except click.ClickException as exc:
        exc.show()
        return 2
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 2
    except Exception as exc:
        if debug:
            raise
        click.echo(f"flowscan: internal error: {type(exc).__name__}: {exc} "
                   "(run with --debug for the traceback)", err=True)
        return 2
    return 0
