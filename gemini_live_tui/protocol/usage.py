"""Session token usage per modality, whether the server reports running totals or per-turn counts.

Servers differ: some ``usageMetadata`` are cumulative snapshots of the session so far, others
(live translate, per a third-party report) are per-turn increments.  Summing snapshots
over-counts; keeping only the last increment under-counts.  :class:`UsageMeter` decides by
monotonic totals: while every report's counts are at least the previous report's, the reports
are taken as running totals (the session is the last one); the first report whose total drops
settles it as per-turn for good (the session is the sum).  Two per-turn reports that happen to
grow look cumulative until a smaller one arrives, which is the best a client can tell.
Call :meth:`UsageMeter.new_connection` after a reconnect: running totals restart with the
connection, so the finished connection's last snapshot is banked.

Pure: feed it :class:`~gemini_live_tui.protocol.types.UsageMetadata`, read totals and an
estimated cost from a :class:`~gemini_live_tui.model_contracts.Prices` row.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Literal

import msgspec

from gemini_live_tui.model_contracts import Prices
from gemini_live_tui.protocol import types

__all__ = ["UsageMeter", "UsageTotals", "totals_of"]

Mode = Literal["unknown", "cumulative", "per_turn"]


class UsageTotals(msgspec.Struct, frozen=True):
    """Token counts; ``input``/``output`` map a modality (``TEXT``, ``AUDIO``, ...) to tokens.

    Tokens a report gives only as a total (no per-modality details) count under
    ``MODALITY_UNSPECIFIED``.  Thought tokens are output (billed at the output text rate).
    """

    input: Mapping[str, int] = {}
    output: Mapping[str, int] = {}
    thoughts: int = 0
    tool_use_prompt: int = 0
    total: int = 0

    def __add__(self, other: UsageTotals) -> UsageTotals:
        return UsageTotals(
            _merge(self.input, other.input),
            _merge(self.output, other.output),
            self.thoughts + other.thoughts,
            self.tool_use_prompt + other.tool_use_prompt,
            self.total + other.total,
        )

    def covers(self, other: UsageTotals) -> bool:
        """Whether every count here is at least ``other``'s (a running total that grew)."""
        return (
            self.total >= other.total
            and self.thoughts >= other.thoughts
            and self.tool_use_prompt >= other.tool_use_prompt
            and all(self.input.get(k, 0) >= v for k, v in other.input.items())
            and all(self.output.get(k, 0) >= v for k, v in other.output.items())
        )


def _merge(a: Mapping[str, int], b: Mapping[str, int]) -> dict[str, int]:
    out = dict(a)
    for key, value in b.items():
        out[key] = out.get(key, 0) + value
    return out


def _details(
    details: Iterable[types.ModalityTokenCount] | None, count: int | None
) -> dict[str, int]:
    out: dict[str, int] = {}
    for item in details or ():
        if item.token_count:
            key = item.modality or "MODALITY_UNSPECIFIED"
            out[key] = out.get(key, 0) + item.token_count
    rest = (count or 0) - sum(out.values())
    if rest > 0:  # a total larger than its details: keep the difference, unattributed
        out["MODALITY_UNSPECIFIED"] = out.get("MODALITY_UNSPECIFIED", 0) + rest
    return out


def totals_of(metadata: types.UsageMetadata) -> UsageTotals:
    """One report as :class:`UsageTotals` (Vertex names are already folded by decoding)."""
    inputs = _details(metadata.prompt_tokens_details, metadata.prompt_token_count)
    outputs = _details(metadata.response_tokens_details, metadata.response_token_count)
    thoughts = metadata.thoughts_token_count or 0
    tool_use = metadata.tool_use_prompt_token_count or 0
    total = metadata.total_token_count
    if total is None:
        total = sum(inputs.values()) + sum(outputs.values()) + thoughts + tool_use
    return UsageTotals(inputs, outputs, thoughts, tool_use, total)


class UsageMeter:
    """Accumulates one session's usage reports (see the module docstring for the rule)."""

    __slots__ = ("_banked", "_last", "_mode", "_sum")

    def __init__(self) -> None:
        self._mode: Mode = "unknown"
        self._banked = UsageTotals()  # finished connections, when cumulative
        self._last: UsageTotals | None = None  # this connection's latest report
        self._sum = UsageTotals()  # every report added up (the per-turn reading)

    @property
    def mode(self) -> Mode:
        """``unknown`` (0 or 1 report), ``cumulative`` (so far monotonic) or ``per_turn``."""
        return self._mode

    def add(self, metadata: types.UsageMetadata) -> None:
        """Take one ``usageMetadata`` report."""
        report = totals_of(metadata)
        if self._mode != "per_turn" and self._last is not None:
            self._mode = "cumulative" if report.covers(self._last) else "per_turn"
        self._last = report
        self._sum = self._sum + report

    def new_connection(self) -> None:
        """A reconnect: running totals restart, so bank this connection's last snapshot."""
        if self._last is not None:
            self._banked = self._banked + self._last
        self._last = None

    @property
    def session(self) -> UsageTotals:
        """The session's usage so far under the detected reading."""
        if self._mode == "per_turn":
            return self._sum
        return self._banked + self._last if self._last is not None else self._banked

    def cost(self, prices: Prices) -> float | None:
        """Estimated USD for :attr:`session`; None when a needed price is unknown.

        ``MODALITY_UNSPECIFIED`` and ``DOCUMENT`` tokens are priced as text, ``IMAGE`` and
        ``VIDEO`` input as image; tool-use prompt tokens as text input.
        """
        usage = self.session
        input_rate = {
            "TEXT": prices.input_text,
            "MODALITY_UNSPECIFIED": prices.input_text,
            "DOCUMENT": prices.input_text,
            "AUDIO": prices.input_audio,
            "IMAGE": prices.input_image,
            "VIDEO": prices.input_image,
        }
        output_rate = {
            "TEXT": prices.output_text,
            "MODALITY_UNSPECIFIED": prices.output_text,
            "AUDIO": prices.output_audio,
        }
        lines = [(input_rate.get(k), n) for k, n in usage.input.items()]
        lines += [(output_rate.get(k), n) for k, n in usage.output.items()]
        lines += [(prices.output_text, usage.thoughts), (prices.input_text, usage.tool_use_prompt)]
        dollars = 0.0
        for rate, tokens in lines:
            if tokens:
                if rate is None:
                    return None
                dollars += rate * tokens / 1_000_000
        return dollars
