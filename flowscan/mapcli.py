"""`flowscan map` and `flowscan diff`: the data map commands, registered on the main
click group by flowscan/cli.py. Heavy modules are imported inside the commands."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import click

MAP_FORMATS = ("text", "json", "csv", "markdown", "html", "dot", "graphml")


class MapUsageError(click.ClickException):
    exit_code = 2


def _catalog() -> Any:
    from flowscan.catalog import RulesError, load_catalog

    try:
        return load_catalog()
    except RulesError as exc:
        raise MapUsageError(str(exc)) from None


def make_map(paths: list[Path], catalog: Any, *, include_tests: bool = False, jobs: int = 0,
             exclude: tuple[str, ...] = (), max_bytes: int | None = None,
             root_name: str | None = None) -> dict[str, Any]:
    """Scan, read the manifests under the scan root, build the map."""
    from flowscan.datamap import build_map
    from flowscan.manifests import declared_vendors, find_manifests, read_manifests
    from flowscan.scan import Options, run_scan
    from flowscan.targets import DEFAULT_MAX_BYTES

    options = Options(include_tests=include_tests, jobs=jobs, exclude=list(exclude),
                      max_bytes=max_bytes or DEFAULT_MAX_BYTES)
    result = run_scan(paths, options, catalog)
    root = Path(result.root)
    declared = declared_vendors(read_manifests(root, include_tests=include_tests),
                                catalog.vendors)
    return build_map(result, catalog, declared=declared,
                     manifests=find_manifests(root, include_tests=include_tests),
                     root_name=root_name)


def _load_json(path: Path) -> dict[str, Any]:
    import json

    try:
        doc = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise MapUsageError(f"cannot read map {path}: {exc}") from None
    if not isinstance(doc, dict) or "vendors" not in doc or "flows" not in doc:
        raise MapUsageError(f"{path}: not a flowscan data map (flowscan map --format json)")
    return doc


def _write(text: str, output: Path | None) -> None:
    from flowscan.cli import _write as write  # one writer for every command's report

    write(text, output)


@click.command("map")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(MAP_FORMATS), default="text",
              show_default=True)
@click.option("--output", "-o", type=click.Path(path_type=Path), help="Write the map here.")
@click.option("--vendor", "vendors", multiple=True,
              help="Only this vendor (id or name; repeatable): what did we send them?")
@click.option("--from", "from_json", type=click.Path(path_type=Path),
              help="Render a saved map JSON instead of scanning.")
@click.option("--include-tests", is_flag=True, help="Also scan test code.")
@click.option("--jobs", "-j", type=int, default=0, help="Worker processes (default: CPUs).")
@click.option("--exclude", multiple=True, help="gitignore-style pattern to leave out.")
@click.option("--max-bytes", type=int, default=None, help="Skip files larger than this.")
def map_command(paths: tuple[Path, ...], fmt: str, output: Path | None,
                vendors: tuple[str, ...], from_json: Path | None, include_tests: bool,
                jobs: int, exclude: tuple[str, ...], max_bytes: int | None) -> None:
    """The data map of PATHS (default: the current directory): which personal data each
    vendor receives, from where, declared or not, and its risk."""
    from flowscan.datamap import select_vendors
    from flowscan.mapreport import MAP_RENDERERS

    catalog = _catalog()
    if from_json is not None:
        doc = _load_json(from_json)
    else:
        targets = list(paths) or [Path(".")]
        for p in targets:
            if not p.exists():
                raise MapUsageError(f"no such file or directory: {p}")
        doc = make_map(targets, catalog, include_tests=include_tests, jobs=jobs,
                       exclude=exclude, max_bytes=max_bytes)
    if vendors:
        try:
            doc = select_vendors(doc, vendors, catalog)
        except KeyError as exc:
            raise MapUsageError(f"unknown vendor {exc.args[0]!r} (see `flowscan rules list`)"
                                ) from None
    color = output is None and fmt == "text" and sys.stdout.isatty() and not os.environ.get(
        "NO_COLOR")
    width = 120
    if color:
        import shutil  # (not at the top: every command imports this module)

        width = max(80, shutil.get_terminal_size((120, 40)).columns)
    _write(MAP_RENDERERS[fmt].render(doc, color=color, width=width), output)


# ---------------------------------------------------------------- diff


def _git(cwd: Path, *args: str) -> str:
    import subprocess

    try:
        out = subprocess.run(["git", "-C", str(cwd), *args], capture_output=True, text=True,
                             timeout=120, check=False)
    except (OSError, subprocess.SubprocessError) as exc:
        raise MapUsageError(f"git failed: {exc}") from None
    if out.returncode != 0:
        raise MapUsageError(f"git {' '.join(args)}: {out.stderr.strip() or 'failed'}")
    return out.stdout.strip()


def export_ref(path: Path, ref: str, dest: Path) -> Path:
    """The tree of `ref` extracted into `dest` with `git archive` (the user's working
    tree, index and worktree list are never touched); returns where `path` is in it."""
    import subprocess
    import tarfile

    where = path.resolve()
    base = where if where.is_dir() else where.parent
    prefix = _git(base, "rev-parse", "--show-prefix")
    commit = _git(base, "rev-parse", "--verify", "--end-of-options", f"{ref}^{{commit}}")
    top = _git(base, "rev-parse", "--show-toplevel")
    proc = subprocess.Popen(["git", "-C", top, "archive", "--format=tar", commit],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None
    try:
        with tarfile.open(fileobj=proc.stdout, mode="r|") as tar:
            if hasattr(tarfile, "data_filter"):
                tar.extractall(dest, filter="data")
            else:  # pragma: no cover - Python without extraction filters
                for member in tar:
                    name = Path(member.name)
                    if name.is_absolute() or ".." in name.parts or not (
                            member.isfile() or member.isdir()):
                        continue
                    tar.extract(member, dest)
    finally:
        proc.stdout.close()
        err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
        if proc.wait() != 0:
            raise MapUsageError(f"git archive {ref}: {err.strip() or 'failed'}")
    target = dest / prefix if prefix else dest
    return target / where.name if not where.is_dir() else target


def map_at_ref(path: Path, ref: str, catalog: Any, **options: Any) -> dict[str, Any]:
    import tempfile

    root_name = path.resolve().name
    with tempfile.TemporaryDirectory(prefix="flowscan-ref-") as tmp:
        target = export_ref(path, ref, Path(tmp))
        if not target.exists():
            raise MapUsageError(f"{path} does not exist at {ref}")
        doc = make_map([target], catalog, root_name=root_name, **options)
    doc["ref"] = ref
    return doc


@click.command("diff")
@click.argument("args", nargs=-1, type=click.Path(path_type=Path))
@click.option("--base", help="Git ref of the old version: compute its map (ARGS: [PATH]).")
@click.option("--head", "head", help="Git ref of the new version (default: the working tree).")
@click.option("--format", "fmt", type=click.Choice(("text", "markdown", "json")),
              default="text", show_default=True)
@click.option("--output", "-o", type=click.Path(path_type=Path), help="Write the diff here.")
@click.option("--fail-on", type=click.Choice(("never", "new-vendor", "new-category",
                                              "new-field", "new-flow")), default="never",
              show_default=True,
              help="Exit 1 on this kind of change (each includes the ones before it).")
@click.option("--include-tests", is_flag=True, help="Also scan test code.")
@click.option("--exclude", multiple=True, help="gitignore-style pattern to leave out.")
@click.pass_context
def diff_command(ctx: click.Context, args: tuple[Path, ...], base: str | None,
                 head: str | None, fmt: str, output: Path | None, fail_on: str,
                 include_tests: bool, exclude: tuple[str, ...]) -> None:
    """What changed between two data maps: OLD.json NEW.json, or --base REF [PATH] to
    map the code at REF (and at --head REF, or the working tree) first."""
    from flowscan.mapdiff import diff_maps, failed, render_diff

    if base is None:
        if head is not None or len(args) != 2:
            raise MapUsageError("give OLD.json NEW.json, or --base REF [PATH]")
        old, new = _load_json(args[0]), _load_json(args[1])
    else:
        if len(args) > 1:
            raise MapUsageError("with --base, give at most one PATH")
        path = args[0] if args else Path(".")
        if not path.exists():
            raise MapUsageError(f"no such file or directory: {path}")
        catalog = _catalog()
        opts: dict[str, Any] = {"include_tests": include_tests, "exclude": exclude}
        old = map_at_ref(path, base, catalog, **opts)
        if head is not None:
            new = map_at_ref(path, head, catalog, **opts)
        else:
            new = make_map([path], catalog, root_name=path.resolve().name, **opts)
    diff = diff_maps(old, new)
    _write(render_diff(diff, fmt), output)
    ctx.exit(1 if failed(diff, fail_on) else 0)
