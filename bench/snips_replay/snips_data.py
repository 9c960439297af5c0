"""The Snips NLU benchmark (2017-06 custom intent engines) as crowdset values.

Data: ../shared/data/snips-nlu-benchmark/2017-06-custom-intent-engines (its README.md gives
the provenance, licence and citation: Coucke A. et al., 2018, arXiv:1805.10190). Pitfalls, handled
here once:

- ``PlayMusic/train_PlayMusic_full.json`` stores 6 emoji as CESU-8 surrogate pairs: every file is
  decoded with ``surrogatepass`` and the pairs are joined into real code points.
- A chunk's ``entity`` key names the *slot*; Snips has no separate entity type here, so the slot
  name is used as the entity too. 10 of the 42,960 slot chunks carry spaces at their edges: spans
  cover the stripped value.
- The metrics files' intent-level ``precision`` / ``recall`` are *intent detection* figures (each
  engine was trained and validated on one intent, so precision is always 1.0; Wit's is NaN with
  recall 0.0 while its slot figures are not 0). The overall slot figures are therefore computed
  here from the per-slot ones: per draw, ``TP_s = recall_s · support_s`` (support = gold spans of
  slot ``s`` in ``validate_<Intent>.json``; the recalls are exact fractions of it, e.g. Wit's
  ``state`` 2/26) and ``predicted_s = TP_s / precision_s`` (NaN precision = nothing predicted);
  micro precision = ΣTP/Σpredicted, recall = ΣTP/Σsupport, then the mean over the draws. A
  precision of 0 hides how many wrong predictions were made; they are counted as none (22
  per-slot figures in Snips' own files, at small sizes), so the rebuilt precision can be a
  little high there. The per-slot ``rate`` field is undocumented and is not the support; it is
  not used.
- Snips' own engine reports its built-in ``snips/datetime`` where the data says ``timeRange``.
- ``Snips_metrics_full.json`` keys its only size by the full file's size (``"1942"`` …
  ``"2000"``; ``"1999"`` for AddToPlaylist although that file holds 1942 queries): the single key
  is read, whatever it is.
"""

from __future__ import annotations

import json
import math
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from crowdset.core.generation.model import AnnotatedQuery, Span

# ../shared beside the checkout (the project's layout), or SNIPS_BENCHMARK_DATA
SHARED = Path(__file__).resolve().parents[3] / "shared"
DATA = Path(
    os.environ.get(
        "SNIPS_BENCHMARK_DATA",
        SHARED / "data" / "snips-nlu-benchmark" / "2017-06-custom-intent-engines",
    )
)
INTENTS: tuple[str, ...] = (
    "AddToPlaylist",
    "BookRestaurant",
    "GetWeather",
    "PlayMusic",
    "RateBook",
    "SearchCreativeWork",
    "SearchScreeningEvent",
)
Split = Literal["train", "train_full", "validate"]
_FILES: dict[str, str] = {
    "train": "train_{}.json",
    "train_full": "train_{}_full.json",
    "validate": "validate_{}.json",
}
_SNIPS_BUILTINS = {"snips/datetime": "timeRange"}


def read_json(path: Path) -> Any:
    """A Snips file as JSON, CESU-8 surrogate pairs joined into real code points."""
    text = path.read_bytes().decode("utf-8", "surrogatepass")
    text = text.encode("utf-16", "surrogatepass").decode("utf-16")
    return json.loads(text)


def _query(chunks: list[dict[str, str]], intent: str, query_id: int) -> AnnotatedQuery:
    text = ""
    spans: list[Span] = []
    for chunk in chunks:
        piece = chunk["text"]
        slot = chunk.get("entity")
        if slot is not None and piece.strip():
            start = len(text) + len(piece) - len(piece.lstrip())
            end = len(text) + len(piece.rstrip())
            spans.append(Span(start, end, slot, slot))
        text += piece
    return AnnotatedQuery(text=text, intent=intent, spans=tuple(spans), query_id=query_id)


def load_split(split: Split, intents: tuple[str, ...] = INTENTS) -> list[AnnotatedQuery]:
    """Every query of ``split`` for ``intents``, in file order; ``query_id`` numbers them from 0
    within the returned list."""
    queries: list[AnnotatedQuery] = []
    for intent in intents:
        raw = read_json(DATA / intent / _FILES[split].format(intent))
        (key,) = raw  # one intent per file
        if key != intent:
            raise ValueError(f"{split} file of {intent} holds intent {key!r}")
        for item in raw[key]:
            queries.append(_query(item["data"], intent, len(queries)))
    return queries


@dataclass(frozen=True)
class SnipsFigures:
    """Snips' published figures for one intent and training size, mean of the draws."""

    intent: str
    size: str  # the metrics file's key: "10", "20", "50", "70", or the full size ("1999", …)
    draws: int
    intent_recall: float  # share of validate queries recognised as the intent
    slot_precision: float  # micro over slots, see the module docstring
    slot_recall: float
    slot_f1: float  # of the mean precision and mean recall
    per_slot: dict[str, tuple[float, float]]  # slot → (mean precision, mean recall)


def _nanmean(values: list[float]) -> float:
    kept = [v for v in values if not math.isnan(v)]
    return sum(kept) / len(kept) if kept else math.nan


def _support(intent: str) -> Counter[str]:
    return Counter(span.slot for q in load_split("validate", (intent,)) for span in q.spans)


def load_snips_metrics(
    size: Literal["10", "20", "50", "70", "full"], provider: str = "Snips"
) -> dict[str, SnipsFigures]:
    """Snips' (or another provider's) published figures for one training size, per intent.

    ``size="full"`` reads ``Snips_metrics_full.json`` (only Snips has one).
    """
    result: dict[str, SnipsFigures] = {}
    for intent in INTENTS:
        name = f"{provider}_metrics_full.json" if size == "full" else f"{provider}_metrics.json"
        metrics = read_json(DATA / intent / name)["intents"][intent]
        key = next(iter(metrics["recall"])) if size == "full" else size
        support = _support(intent)
        slots: dict[str, Any] = {
            _SNIPS_BUILTINS.get(slot, slot): figures for slot, figures in metrics["slots"].items()
        }
        draws = len(metrics["recall"][key])
        precisions, recalls = [], []
        for draw in range(draws):
            tp = predicted = gold = 0.0
            for slot, figures in slots.items():
                n = support[slot]
                recall = figures["recall"][key][draw]
                precision = figures["precision"][key][draw]
                hits = 0.0 if math.isnan(recall) else recall * n
                tp += hits
                gold += n
                predicted += 0.0 if math.isnan(precision) or precision == 0 else hits / precision
            precisions.append(tp / predicted if predicted else math.nan)
            recalls.append(tp / gold if gold else math.nan)
        p, r = _nanmean(precisions), _nanmean(recalls)
        result[intent] = SnipsFigures(
            intent=intent,
            size=key,
            draws=draws,
            intent_recall=_nanmean(list(metrics["recall"][key])),
            slot_precision=p,
            slot_recall=r,
            slot_f1=2 * p * r / (p + r) if p + r > 0 else math.nan,
            per_slot={
                slot: (
                    _nanmean(list(figures["precision"][key])),
                    _nanmean(list(figures["recall"][key])),
                )
                for slot, figures in slots.items()
            },
        )
    return result
