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


@main.command("local-server")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to bind.")
@click.option("--port", default=9000, show_default=True, type=int, help="TCP port (0: any).")
@click.option(
    "--key", default=None, metavar="KEY", help="The one API key to accept (default: any)."
)
@click.option(
    "--goaway-after",
    type=float,
    default=None,
    metavar="SECONDS",
    help="Send goAway after this connection lifetime, then close 1008 (default: never).",
)
@click.option(
    "--goaway-grace",
    type=float,
    default=5.0,
    show_default=True,
    metavar="SECONDS",
    help="Time between goAway and the 1008 close.",
)
def local_server(
    host: str, port: int, key: str | None, goaway_after: float | None, goaway_grace: float
) -> None:
    """Run the local Live server (a stand-in for Gemini Live) until Ctrl+C."""
    import asyncio

    from gemini_live_tui.local import LocalLiveServer

    async def run() -> None:
        server = LocalLiveServer(
            host=host, port=port, api_key=key, goaway_after=goaway_after, goaway_grace=goaway_grace
        )
        async with server:
            click.echo(f"local Live server listening on {server.url}")
            click.echo(
                f"(also /ws, //ws/..., v1/v1alpha and Vertex paths; base URL {server.base_url})"
            )
            click.echo("Ctrl+C to stop")
            await server.serve_forever()

    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        click.echo("stopped")
    except OSError as exc:
        raise click.ClickException(f"cannot listen on {host}:{port}: {exc.strerror}") from exc


@main.command()
@click.option("--host", default=None, help="Interface to bind (default $HOST, else 127.0.0.1).")
@click.option("--port", default=None, type=int, help="TCP port (default $PORT, else 8000; 0: any).")
@click.option(
    "--backend",
    default=None,
    metavar="NAME|URL",
    help="gemini, vertex, local or a ws:// URL (default $LIVE_BACKEND, else from the key).",
)
def serve(host: str | None, port: int | None, backend: str | None) -> None:
    """Run the browser proxy: a web page and /ws, with the API key kept on the server.

    Configured from the environment: GOOGLE_API_KEY or GEMINI_API_KEY, PROJECT_ID,
    LOCATION, MODEL, PORT, SESSION_TIME_LIMIT, LIVE_BACKEND, ALLOWED_ORIGINS,
    TOKEN_STORE_URL (see docs/server.md).
    """
    import os

    try:
        # The server extra (starlette, uvicorn, redis) is optional: say so plainly.
        from gemini_live_tui.server import app as server_app
        from gemini_live_tui.server.settings import ServerSettings
    except ImportError as exc:
        raise click.ClickException(
            f"gemini-live serve needs the server extra ({exc.name} is missing): "
            "pip install 'gemini-live[server]'"
        ) from exc
    from gemini_live_tui.errors import ConfigError

    env = dict(os.environ)
    if backend is not None:
        env["LIVE_BACKEND"] = backend
    try:
        settings = ServerSettings.from_env(env, host=host, port=port)
        server_app.run(settings)
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from exc
