"""UsageMeter: cumulative vs per-turn detection, per-modality sums and the cost estimate."""

from __future__ import annotations

import pytest

from gemini_live_tui.model_contracts import Prices, contract_for
from gemini_live_tui.protocol import codec, types
from gemini_live_tui.protocol.usage import UsageMeter, UsageTotals, totals_of


def report(text_in: int, audio_in: int, audio_out: int, thoughts: int = 0) -> types.UsageMetadata:
    """A usageMetadata frame as the Developer API writes it, decoded by the codec."""
    frame = (
        '{"usageMetadata":{'
        f'"promptTokenCount":{text_in + audio_in},"responseTokenCount":{audio_out},'
        f'"thoughtsTokenCount":{thoughts},'
        f'"totalTokenCount":{text_in + audio_in + audio_out + thoughts},'
        f'"promptTokensDetails":[{{"modality":"TEXT","tokenCount":{text_in}}},'
        f'{{"modality":"AUDIO","tokenCount":{audio_in}}}],'
        f'"responseTokensDetails":[{{"modality":"AUDIO","tokenCount":{audio_out}}}]}}}}'
    )
    metadata = codec.decode(frame).usage_metadata
    assert metadata is not None
    return metadata


def test_running_totals_are_not_summed() -> None:
    meter = UsageMeter()
    for n in (1, 2, 3):
        meter.add(report(10 * n, 100 * n, 200 * n))
    assert meter.mode == "cumulative"
    assert meter.session == UsageTotals({"TEXT": 30, "AUDIO": 300}, {"AUDIO": 600}, 0, 0, 930)


def test_per_turn_counts_are_summed_once_a_total_drops() -> None:
    meter = UsageMeter()
    for text_in, audio_in, audio_out in ((10, 100, 200), (20, 300, 400), (5, 50, 60)):
        meter.add(report(text_in, audio_in, audio_out))
    assert meter.mode == "per_turn"
    assert meter.session.input == {"TEXT": 35, "AUDIO": 450}
    assert meter.session.output == {"AUDIO": 660}
    meter.add(report(100, 1000, 1000))  # settled: a growing report no longer flips it back
    assert meter.mode == "per_turn" and meter.session.output == {"AUDIO": 1660}


def test_a_single_report_is_the_session() -> None:
    meter = UsageMeter()
    assert meter.mode == "unknown" and meter.session == UsageTotals()
    meter.add(report(1, 2, 3, thoughts=4))
    assert meter.mode == "unknown" and meter.session.thoughts == 4


def test_a_reconnect_banks_the_connections_last_snapshot() -> None:
    meter = UsageMeter()
    meter.add(report(10, 100, 100))
    meter.add(report(20, 200, 200))
    meter.new_connection()
    meter.add(report(5, 50, 50))  # totals restarted with the new connection
    assert meter.mode == "cumulative"
    assert meter.session.input == {"TEXT": 25, "AUDIO": 250}


def test_totals_without_details_are_kept_unattributed() -> None:
    metadata = types.UsageMetadata(prompt_token_count=50, response_token_count=7)
    assert totals_of(metadata) == UsageTotals(
        {"MODALITY_UNSPECIFIED": 50}, {"MODALITY_UNSPECIFIED": 7}, 0, 0, 57
    )


def test_vertex_candidates_names_count_as_output() -> None:
    frame = (
        '{"usageMetadata":{"candidatesTokenCount":9,'
        '"candidatesTokensDetails":[{"modality":"AUDIO","tokenCount":9}]}}'
    )
    metadata = codec.decode(frame).usage_metadata
    assert metadata is not None and totals_of(metadata).output == {"AUDIO": 9}


def test_cost_uses_the_model_table_prices_per_modality() -> None:
    contract = contract_for("models/gemini-3.8-live")
    assert contract is not None
    meter = UsageMeter()
    meter.add(report(1_000_000, 1_000_000, 1_000_000, thoughts=1_000_000))
    # 0.75 text in + 3.00 audio in + 12.00 audio out + 4.50 thoughts (output text)
    assert meter.cost(contract.prices) == pytest.approx(20.25)


def test_cost_is_unknown_when_a_needed_price_is() -> None:
    meter = UsageMeter()
    meter.add(report(10, 10, 10))
    assert meter.cost(Prices(input_text=1.0, input_audio=1.0)) is None
    assert UsageMeter().cost(Prices()) == 0.0
