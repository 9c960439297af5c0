"""Inter-annotator agreement: Krippendorff's α, Fleiss' κ and Cohen's κ on coded answers.

Answers come as integer codes (unit = task, worker, label), factorised once by the caller
(:func:`reliability_data` checks them and keeps one answer per worker and unit); everything is
NumPy over those codes.

- :mod:`~crowdset.core.agreement.alpha`: Krippendorff's α at the nominal, ordinal and interval
  levels from the coincidence matrix (K. Krippendorff, *Computing Krippendorff's
  Alpha-Reliability*, 2011), missing answers allowed; a bootstrap interval over units; α per
  label and α without each worker.
- :mod:`~crowdset.core.agreement.kappa`: Fleiss' κ (Fleiss 1971) with the number of answers
  free to vary per unit, and Cohen's κ (Cohen 1960) for each pair of workers sharing enough
  units.
- :mod:`~crowdset.core.agreement.report`: all of them at once.
"""

from crowdset.core.agreement.alpha import (
    BootstrapInterval,
    alpha_bootstrap,
    alpha_without_each_worker,
    krippendorff_alpha,
    label_alpha,
)
from crowdset.core.agreement.data import Level, ReliabilityData, reliability_data
from crowdset.core.agreement.kappa import (
    MIN_SHARED,
    PairwiseKappa,
    fleiss_kappa,
    pairwise_cohen_kappa,
)
from crowdset.core.agreement.report import AgreementReport, agreement_report

__all__ = [
    "MIN_SHARED",
    "AgreementReport",
    "BootstrapInterval",
    "Level",
    "PairwiseKappa",
    "ReliabilityData",
    "agreement_report",
    "alpha_bootstrap",
    "alpha_without_each_worker",
    "fleiss_kappa",
    "krippendorff_alpha",
    "label_alpha",
    "pairwise_cohen_kappa",
    "reliability_data",
]
