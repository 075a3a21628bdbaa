"""Command-line entry point: the composition root of gemini-live.

Each sub-command imports its subsystem lazily so that ``gemini-live --version``
and ``gemini-live update --check`` start without loading textual, numpy or
the audio stack.
"""

from __future__ import annotations

import click

from gemini_live_tui import __version__

__all__ = ["main"]


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="gemini-live")
@click.pass_context
def main(ctx: click.Context) -> None:
    """gemini-live: talk, share a screen and chat with Gemini Live in a terminal."""
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())
