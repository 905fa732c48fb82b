"""Changing the taxonomy from a page or the API: each change and the re-analysis of past
comments it calls for are one use case, stored together or not at all."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from feedback.accounts.models import Workspace
from feedback.database import use_case
from feedback.themes import analysis, taxonomy
from feedback.themes.models import AnalysisRun, Theme


@dataclass(frozen=True)
class Edited:
    theme: Theme | None  # as it is now: the one merged into; None once deleted
    run: AnalysisRun  # every comment queued to be read again


@use_case
def add(workspace: Workspace, payload: Any, how: str = "added") -> Edited:
    theme = taxonomy.create_theme(workspace, payload)
    return Edited(theme, analysis.start_reanalysis(workspace, f"theme {theme.slug} {how}"))


@use_case
def change(workspace: Workspace, slug: str, payload: Any) -> Edited:
    theme = taxonomy.update_theme(workspace, slug, payload)
    return Edited(theme, analysis.start_reanalysis(workspace, f"theme {theme.slug} changed"))


@use_case
def merge(workspace: Workspace, source: str, target: str) -> Edited:
    theme = taxonomy.merge_themes(workspace, source, target)
    reason = f"theme {source} merged into {target}"
    return Edited(theme, analysis.start_reanalysis(workspace, reason))


@use_case
def delete(workspace: Workspace, slug: str) -> Edited:
    taxonomy.delete_theme(workspace, slug)
    return Edited(None, analysis.start_reanalysis(workspace, f"theme {slug} deleted"))
