"""The tool-approval modal: asks the user whether the model may run one tool call.

:class:`ApprovalScreen` shows an :class:`~gemini_live_tui.tools.approval.ApprovalRequest`
(the tool, where it comes from, its arguments; a command as its argv, a file write as a
diff) with a countdown, and is dismissed with a
:class:`~gemini_live_tui.tools.approval.Decision`: ``y`` allow once, ``a`` allow this tool
for the session, ``n`` or Esc deny, and no answer before the countdown ends denies.

:class:`ModalApprover` is the TUI's side of the tools' ``Approver`` port: ``ask`` pushes the
screen and awaits its answer without blocking the app, so the conversation (and the model's
voice) goes on while the dialog is open.
"""

from __future__ import annotations

import asyncio
import json
import shlex
import time
from collections.abc import Callable
from typing import Any, ClassVar

from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from gemini_live_tui.text_safety import clean
from gemini_live_tui.tools.approval import APPROVAL_TIMEOUT, ApprovalRequest, Decision

__all__ = ["ApprovalScreen", "ModalApprover", "render_request"]

# Arguments are shown, not sent: a huge argument would only push the keys off screen.
_MAX_SHOWN_CHARS = 4000


def _shown(text: str) -> str:
    # Arguments come from the model: strip terminal escapes before they reach the screen.
    text = clean(text)
    if len(text) > _MAX_SHOWN_CHARS:
        return text[:_MAX_SHOWN_CHARS] + f"\n… ({len(text) - _MAX_SHOWN_CHARS} more characters)"
    return text


def render_request(request: ApprovalRequest) -> Text:
    """The body of the dialog: a command as argv, a write as a diff, else the arguments."""
    body = Text()
    if request.argv is not None:
        body.append("command\n", style="bold")
        body.append(_shown(shlex.join(request.argv)) + "\n", style="bold yellow")
    if request.diff is not None:
        body.append("changes\n", style="bold")
        for line in _shown(request.diff).splitlines():
            style = ""
            if line.startswith("+") and not line.startswith("+++"):
                style = "green"
            elif line.startswith("-") and not line.startswith("---"):
                style = "red"
            elif line.startswith("@@"):
                style = "cyan"
            body.append(line + "\n", style=style)
    if request.argv is None and request.diff is None:
        body.append("arguments\n", style="bold")
        body.append(_shown(_format_args(request.args)) + "\n")
    for key, value in request.details.items():
        body.append(f"{clean(str(key))}: ", style="bold")
        body.append(_shown(str(value)) + "\n")
    body.rstrip()
    return body


def _format_args(args: Any) -> str:
    try:
        return json.dumps(args, indent=2, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return repr(args)


class ApprovalScreen(ModalScreen[Decision]):
    """Allow or deny one tool call; no answer within ``timeout`` seconds denies it.

    Args:
        request: what the tool wants to do.
        timeout: seconds before the dialog answers "deny" by itself.
        clock: monotonic clock for the countdown (tests may pass their own).
    """

    DEFAULT_CSS = """
    ApprovalScreen {
        align: center middle;
        background: $background 60%;
    }
    ApprovalScreen > #dialog {
        width: 90%;
        max-width: 100;
        height: auto;
        max-height: 90%;
        border: thick $warning;
        background: $surface;
        padding: 0 1;
    }
    ApprovalScreen #title { text-style: bold; }
    ApprovalScreen #body { height: auto; max-height: 20; margin: 1 0; }
    ApprovalScreen #keys { color: $text-muted; }
    ApprovalScreen #countdown { color: $warning; }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "decide('allow_once')", "Allow once"),
        Binding("a", "decide('allow_session')", "Allow for session"),
        Binding("n", "decide('deny')", "Deny"),
        Binding("escape", "decide('deny')", "Deny", show=False),
    ]

    def __init__(
        self,
        request: ApprovalRequest,
        *,
        timeout: float = APPROVAL_TIMEOUT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self.request = request
        self._timeout = timeout
        self._clock = clock
        # Counted from when the dialog is made (just before it is pushed), so the countdown
        # is right even when read before the screen has mounted.
        self._deadline = clock() + timeout
        self._decided = False

    def compose(self) -> ComposeResult:
        request = self.request
        with Vertical(id="dialog"):
            title = Text.assemble(
                "The model wants to run ",
                (clean(request.tool), "bold yellow"),
                (f"  ({clean(request.source)})", "dim"),
            )
            yield Static(title, id="title", markup=False)
            with VerticalScroll(id="body"):
                yield Static(render_request(request), markup=False)
            yield Static(
                "y allow once · a allow this tool for the session · n or Esc deny",
                id="keys",
                markup=False,
            )
            yield Static("", id="countdown", markup=False)

    def on_mount(self) -> None:
        self._tick()
        # A tenth of the timeout (at most 1 s) keeps the countdown honest for short timeouts.
        self.set_interval(min(1.0, max(0.05, self._timeout / 10)), self._tick)

    @property
    def seconds_left(self) -> float:
        """Seconds until the dialog denies by itself."""
        return max(0.0, self._deadline - self._clock())

    def _tick(self) -> None:
        left = self.seconds_left
        if left <= 0:
            self.decide(Decision.DENY)
            return
        self.query_one("#countdown", Static).update(f"no answer in {left:.0f} s denies")

    def action_decide(self, decision: str) -> None:
        """A key answered."""
        self.decide(Decision(decision))

    def decide(self, decision: Decision) -> None:
        """Close the dialog with ``decision`` (only the first answer counts)."""
        if self._decided:
            return
        self._decided = True
        self.dismiss(decision)


class ModalApprover:
    """The ``Approver`` for the terminal app: one :class:`ApprovalScreen` per question.

    Args:
        app: the running app the dialogs are pushed on.
        timeout: seconds a dialog waits before it denies (the approval gate has its own
            limit too; whichever ends first denies).
        clock: monotonic clock for the countdown.
    """

    def __init__(
        self,
        app: App[Any],
        *,
        timeout: float = APPROVAL_TIMEOUT,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._app = app
        self._timeout = timeout
        self._clock = clock
        self.asked = 0
        """How many questions were asked (statistics)."""

    async def ask(self, request: ApprovalRequest) -> Decision:
        """Show the dialog and wait for the answer; the app keeps running meanwhile."""
        self.asked += 1
        answer: asyncio.Future[Decision] = asyncio.get_running_loop().create_future()

        def answered(decision: Decision | None) -> None:
            if not answer.done():
                answer.set_result(decision if decision is not None else Decision.DENY)

        screen = ApprovalScreen(request, timeout=self._timeout, clock=self._clock)
        self._app.push_screen(screen, callback=answered)
        try:
            return await answer
        except asyncio.CancelledError:
            # The gate gave up (its own timeout, or the call was cancelled): close the dialog.
            screen.decide(Decision.DENY)
            raise
