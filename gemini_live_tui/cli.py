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


@main.command()
@click.option("--check", is_flag=True, help="Only report whether a newer release exists.")
@click.option("--pre", is_flag=True, help="Consider pre-releases and dev releases too.")
@click.option(
    "--index-url",
    metavar="URL",
    help="Package index (PEP 503/691) to look in; default $PIP_INDEX_URL, else PyPI.",
)
@click.pass_context
def update(ctx: click.Context, check: bool, pre: bool, index_url: str | None) -> None:
    """Upgrade gemini-live in place (never downgrades; rolls back if the new one fails)."""
    # Imported here so that other commands never pay for urllib and packaging.
    from gemini_live_tui import update as updater

    status = updater.run(
        check=check,
        pre=pre,
        index_url=index_url,
        echo=click.echo,
        error=lambda line: click.echo(line, err=True),
    )
    ctx.exit(status)
