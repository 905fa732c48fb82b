"""`flask feedback ...`: administration from the command line."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from feedback.accounts import workspaces
from feedback.errors import FeedbackError
from feedback.extensions import db
from feedback.widget.script import embed_snippet

feedback_cli = AppGroup("feedback", help="Administer workspaces, users, keys and demo data.")


def _fail(exc: FeedbackError) -> None:
    field = f" ({exc.field})" if exc.field else ""
    raise click.ClickException(f"{exc.message}{field}")


@feedback_cli.command("create-workspace")
@click.argument("name")
@click.option("--slug", help="Short name used in URLs and by the other commands.")
@click.option("--timezone", default="UTC", show_default=True)
@click.option("--origin", "origins", multiple=True, help="An origin allowed to embed the widget.")
def create_workspace(name: str, slug: str | None, timezone: str, origins: tuple[str, ...]) -> None:
    """Create a workspace and print its public key."""
    try:
        workspace = workspaces.create_workspace(name, slug, timezone, list(origins))
    except FeedbackError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(f"workspace {workspace.slug} created; public key {workspace.public_key}")


@feedback_cli.command("create-user")
@click.argument("workspace")
@click.argument("email")
@click.option("--role", default="admin", show_default=True)
@click.password_option()
def create_user(workspace: str, email: str, role: str, password: str) -> None:
    """Add a user (new or existing) to WORKSPACE with a role."""
    try:
        workspaces.add_user(workspaces.get_workspace(workspace), email, password, role)
    except FeedbackError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(f"{email} is {role} of {workspace}")


@feedback_cli.command("create-api-key")
@click.argument("workspace")
@click.option("--name", default="cli", show_default=True)
@click.option("--scope", "scopes", multiple=True, help="read and/or write (default both).")
def create_api_key(workspace: str, name: str, scopes: tuple[str, ...]) -> None:
    """Create a secret API key; it is printed once and cannot be shown again."""
    try:
        issued = workspaces.create_api_key(
            workspaces.get_workspace(workspace), name, list(scopes) or None
        )
    except FeedbackError as exc:
        _fail(exc)
    db.session.commit()
    click.echo(issued.secret)


@feedback_cli.command("seed-demo")
@click.option("--responses", default=3000, show_default=True, help="How many responses.")
@click.option("--seed", default=7, show_default=True, help="Random seed (same seed, same data).")
def seed_demo(responses: int, seed: int) -> None:
    """Create (once) a demo workspace with surveys and six months of responses."""
    from feedback.demo.members import case_handlers
    from feedback.demo.seed import DEMO_EMAIL, DEMO_PASSWORD, seed_demo_workspace

    result = seed_demo_workspace(responses=responses, seed=seed)
    base = current_app.config["FEEDBACK_BASE_URL"]
    click.echo("")
    click.echo(f"  Demo workspace  {result.workspace.name} ({result.created_note})")
    click.echo(f"  Dashboard       {base}/app/")
    click.echo(f"  Login           {DEMO_EMAIL} / {DEMO_PASSWORD}")
    handlers = ", ".join(case_handlers())
    click.echo(f"  Case handlers   {handlers} / {DEMO_PASSWORD} (analysts)")
    click.echo(f"  API key         {result.api_key}")
    click.echo(f"  Public key      {result.workspace.public_key}")
    click.echo(f"  Demo host page  {base}/demo")
    click.echo(f"  API reference   {base}/api/reference  (OpenAPI: {base}/api/openapi.json)")
    click.echo(f"  Try             curl -H 'Authorization: Bearer {result.api_key}' \\")
    click.echo(f"                    '{base}/api/v1/metrics/nps?period=this_quarter&interval=week'")
    origins = ", ".join(result.workspace.allowed_origins or []) or "none yet"
    click.echo(f"  Allowed origins {origins} (Settings → Allowed origins)")
    click.echo("")
    click.echo("  Embed the widget: paste this as it is into a page on an allowed origin")
    click.echo("")
    click.echo(embed_snippet(base, result.workspace.public_key))
    click.echo("")


@feedback_cli.command("worker")
def worker() -> None:
    """Run the background jobs (analysis, training, ...) until stopped."""
    from feedback.jobs import build_scheduler

    click.echo("worker started; Ctrl-C stops it")
    build_scheduler(current_app._get_current_object(), blocking=True).start()


@feedback_cli.command("analyse")
@click.option("--all", "everything", is_flag=True, help="Re-analyse every comment first.")
def analyse(everything: bool) -> None:
    """Analyse waiting comments now, in this process, and print how many."""
    from feedback.accounts.models import Workspace
    from feedback.jobs import analyse_comments
    from feedback.themes.analysis import start_reanalysis

    if everything:
        for workspace in db.session.scalars(db.select(Workspace)):
            start_reanalysis(workspace, "requested from the command line")
        db.session.commit()
    click.echo(f"{analyse_comments(batches=100000)} comments analysed")


def _mapping(pairs: tuple[str, ...]) -> dict[str, str]:
    mapping = {}
    for pair in pairs:
        field, sep, column = pair.partition("=")
        if not sep or not field.strip() or not column.strip():
            raise click.BadParameter(f"{pair!r} is not field=column.", param_hint="--map")
        mapping[field.strip()] = column.strip()
    return mapping


@feedback_cli.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, resolve_path=True))
@click.option("--workspace", "slug", required=True, help="The workspace to import into.")
@click.option(
    "--format",
    "format_name",
    required=True,
    type=click.Choice(["delighted-json", "delighted-csv", "zendesk-csv", "csv"]),
)
@click.option("--dry-run", is_flag=True, help="Check every row and count; write nothing.")
@click.option(
    "--map",
    "pairs",
    multiple=True,
    help="field=column for --format csv (score, kind, email, external_id, name, comment, time, "
    "id); --map kind=nps names the kind of every row.",
)
def import_history(
    file: str, slug: str, format_name: str, dry_run: bool, pairs: tuple[str, ...]
) -> None:
    """Import a history of responses from FILE, as one job, and print what it did."""
    from pathlib import Path

    from feedback.imports import running

    try:
        workspace = workspaces.get_workspace(slug)
        job = running.start_import(
            workspace, file, Path(file).name, format_name, _mapping(pairs), dry_run, "cli"
        )
        job = running.run_import(job.id)
    except FeedbackError as exc:
        _fail(exc)
    counts = job.counts or {}
    click.echo(f"import {job.id}: {job.status}" + (" (dry run)" if dry_run else ""))
    if job.error:
        raise click.ClickException(job.error)
    shown = ("rows", "imported", "would_import", "already", "refused", "cases", "notes", "tags")
    shown += ("notes_not_kept",)
    for name in shown:
        if name in counts:
            click.echo(f"  {name:<15}{counts[name]}")
    if job.refused:
        click.echo(f"  report       {running.report_path(job)}")
