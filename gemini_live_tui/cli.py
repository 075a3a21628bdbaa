"""Command-line entry point: the composition root of gemini-live.

Each sub-command imports its subsystem lazily so that ``gemini-live --version``
and ``gemini-live update --check`` start without loading textual, numpy or
the audio stack.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from gemini_live_tui import __version__

if TYPE_CHECKING:
    from gemini_live_tui.config import Settings

__all__ = ["main"]


def _app_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """The options that choose backend, model and session (shared by the app and config)."""
    options = [
        click.option(
            "--backend",
            type=click.Choice(["gemini", "vertex", "local"]),
            default=None,
            help="Where to connect (default $LIVE_BACKEND, else gemini). "
            "local: the embedded offline server, no key needed.",
        ),
        click.option(
            "--model", default=None, metavar="NAME", help="Model (default $GEMINI_MODEL)."
        ),
        click.option(
            "--profile", default=None, metavar="NAME", help="Profile from config.toml to use."
        ),
        click.option("--text", is_flag=True, default=None, help="Ask for text replies, not audio."),
        click.option("--voice", default=None, metavar="NAME", help="Prebuilt voice (e.g. Puck)."),
        click.option(
            "--system",
            "system_instruction",
            default=None,
            metavar="TEXT",
            help="System instruction for the session.",
        ),
        click.option(
            "--endpoint",
            default=None,
            metavar="URL",
            help="Custom ws:// or wss:// endpoint (default $GEMINI_LIVE_ENDPOINT).",
        ),
        click.option(
            "--debug", is_flag=True, default=None, help="Debug-level logging to the log file."
        ),
        click.option(
            "--wire-log",
            default=None,
            metavar="FILE",
            type=click.Path(dir_okay=False),
            help="Write every frame each way (payloads as sizes, secrets masked) and every "
            "reconnect decision to FILE as JSON lines (mode 0600).",
        ),
        click.option("--input-device", default=None, metavar="NAME|N", help="Mic (see /devices)."),
        click.option(
            "--output-device", default=None, metavar="NAME|N", help="Speaker (see /devices)."
        ),
        click.option(
            "--aec",
            type=click.Choice(["on", "off"]),
            default=None,
            help="Echo cancellation for the mic (default on).",
        ),
        click.option(
            "--duplex",
            type=click.Choice(["full", "half"]),
            default=None,
            help="half: mute the mic while the model speaks (no barge-in).",
        ),
    ]
    for option in reversed(options):
        func = option(func)
    return func


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", "-V", prog_name="gemini-live")
@_app_options
@click.pass_context
def main(ctx: click.Context, /, **flags: Any) -> None:
    """gemini-live: talk, share a screen and chat with Gemini Live in a terminal.

    With no command it opens the terminal app.  `gemini-live --backend local` tries it
    offline with no key.
    """
    ctx.obj = flags
    if ctx.invoked_subcommand is None:
        ctx.exit(_run_app(flags))


def _settings_or_exit(flags: dict[str, Any]) -> Settings:
    from gemini_live_tui.config import load_settings
    from gemini_live_tui.errors import ConfigError

    try:
        settings = load_settings(flags)
    except ConfigError as exc:
        click.echo(f"gemini-live: {exc}", err=True)
        raise SystemExit(2) from exc
    for warning in settings.warnings:
        click.echo(f"gemini-live: {warning}", err=True)
    return settings


def _run_app(flags: dict[str, Any]) -> int:
    """Build settings, engine and app, and run the app; the exit status."""
    import logging
    import os
    from pathlib import Path

    from gemini_live_tui.errors import ConfigError

    settings = _settings_or_exit(flags)
    try:
        settings.check_credentials()
    except ConfigError as exc:
        click.echo(f"gemini-live: {exc}", err=True)
        return 2
    assert settings.paths is not None
    secrets = [s.reveal() for s in (settings.api_key, settings.vertex_access_token) if s]
    _setup_logging(settings.paths.log_file, debug=settings.debug, secrets=secrets)
    for warning in settings.warnings:
        logging.getLogger(__name__).warning("%s", warning)

    # Imported late: textual and the session stack are only needed to run the app.
    from gemini_live_tui.engine import Engine
    from gemini_live_tui.tui.app import GeminiLiveApp
    from gemini_live_tui.tui.history import InputHistory
    from gemini_live_tui.update.check import check_when_due

    cwd = Path(os.getcwd())
    history = InputHistory(settings.paths.history_file, secrets=secrets)
    history.load()
    wire_log = connector = None
    if settings.wire_log is not None:
        from gemini_live_tui.live import Session, SessionConfig
        from gemini_live_tui.live.wire_log import WireLog

        try:
            wire_log = WireLog.open(settings.wire_log, secrets=secrets)
        except OSError as exc:
            click.echo(
                f"gemini-live: cannot write the wire log {settings.wire_log}: {exc}", err=True
            )
            return 2
        log = wire_log

        async def connect_logged(config: SessionConfig) -> Session:
            return await Session.connect(config, wire_log=log)

        connector = connect_logged
    engine = Engine(settings, base_dir=cwd, connector=connector)
    app = GeminiLiveApp(
        engine,
        history=history,
        transcripts_dir=settings.paths.transcripts_dir,
        base_dir=cwd,
        secrets=secrets,
        # At most once a day, off the UI thread, and never with GEMINI_LIVE_NO_UPDATE_CHECK.
        update_checker=check_when_due,
    )
    try:
        app.run()
    finally:
        if wire_log is not None:
            wire_log.close()
    return app.return_code or 0


def _setup_logging(log_file: Path, *, debug: bool, secrets: list[str]) -> None:
    """Log to a file only (never the terminal under the TUI), with secrets masked.

    The file is 0600 in a 0700 directory: it quotes remote text and what the user did.
    """
    import logging

    from gemini_live_tui.private_files import ensure_private_file
    from gemini_live_tui.text_safety import safe

    class _Redact(logging.Filter):
        # Log lines quote remote text (close reasons, error bodies): a `tail -f` of the log
        # must not obey escape sequences in them, nor show a key a server echoed.
        def filter(self, record: logging.LogRecord) -> bool:
            message = record.getMessage()
            shown = safe(message, secrets)
            if shown != message:
                record.msg, record.args = shown, None
            return True

    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    try:
        # Created (or tightened) 0600 first; FileHandler then appends and keeps the mode.
        ensure_private_file(log_file)
        handler: logging.Handler = logging.FileHandler(log_file, encoding="utf-8")
    except OSError:
        handler = logging.NullHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(_Redact())
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    # websockets logs request headers (the API key) at DEBUG: never let those through.
    # markdown_it (a line per parse rule) and asyncio add nothing at DEBUG but volume:
    # --debug is for this program's own decisions (--wire-log is for the frames).
    for noisy in ("websockets", "markdown_it", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.INFO)
    logging.captureWarnings(True)


@main.command("config")
@_app_options
@click.pass_context
def config_command(ctx: click.Context, /, **flags: Any) -> None:
    """Print the resolved settings (secrets masked) and where each came from."""
    merged = dict(ctx.obj or {})
    merged.update({k: v for k, v in flags.items() if v is not None})
    settings = _settings_or_exit(merged)
    rows = settings.describe()
    width = max(len(name) for name, _, _ in rows)
    value_width = min(60, max(len(value) for _, value, _ in rows))
    for name, value, source in rows:
        click.echo(f"{name.ljust(width)}  {value.ljust(value_width)}  ({source})")


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
    from gemini_live_tui.update import install as updater

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
    "--key",
    default=None,
    metavar="KEY",
    envvar="GEMINI_LIVE_LOCAL_KEY",
    show_envvar=True,
    help="The one API key to accept (default: any); the environment keeps it out of `ps`.",
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
@click.option(
    "--tls",
    is_flag=True,
    help="Serve wss:// with a throwaway self-signed certificate (the official SDKs need it).",
)
@click.option(
    "--cert-file",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="With --tls: where to write the certificate (for SSL_CERT_FILE).",
)
def local_server(
    host: str,
    port: int,
    key: str | None,
    goaway_after: float | None,
    goaway_grace: float,
    tls: bool,
    cert_file: str | None,
) -> None:
    """Run the local Live server (a stand-in for Gemini Live) until Ctrl+C."""
    import asyncio
    import tempfile
    from pathlib import Path

    from gemini_live_tui.errors import ConfigError
    from gemini_live_tui.local import LocalLiveServer

    async def run() -> None:
        server = LocalLiveServer(
            host=host,
            port=port,
            api_key=key,
            goaway_after=goaway_after,
            goaway_grace=goaway_grace,
            tls=tls,
        )
        async with server:
            click.echo(f"local Live server listening on {server.url}")
            click.echo(
                f"(also /ws, //ws/..., v1/v1alpha and Vertex paths; base URL {server.base_url})"
            )
            if server.certificate_pem is not None:
                path = Path(cert_file or Path(tempfile.gettempdir()) / "gemini-live-local.pem")
                await asyncio.to_thread(path.write_bytes, server.certificate_pem)
                click.echo(
                    f"certificate: {path}  (google-genai: SSL_CERT_FILE={path} and "
                    f"http_options={{'base_url': '{server.base_url}/'}})"
                )
            click.echo("Ctrl+C to stop")
            await server.serve_forever()

    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        click.echo("stopped")
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
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
