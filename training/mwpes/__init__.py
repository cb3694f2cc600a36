"""Dynamic error classification (MWPES): cluster wrong solutions into an evolving taxonomy of error categories.

analyze -> embed -> reduce -> cluster -> label, each an injected component chosen by registry name
(:data:`ANALYZERS`, :data:`EMBEDDERS`, :data:`REDUCERS`, :data:`CLUSTERERS`, :data:`LABELLERS`), a taxonomy
with stable category ids that :func:`update` grows and merges, plots, and error-aware prompting (``eap``).

Example:
    >>> from knowbench.training.mwpes import ErrorClusterPipeline, load_error_samples  # doctest: +SKIP
    >>> result = ErrorClusterPipeline().fit(load_error_samples("out/mwpes"))  # doctest: +SKIP
"""

from knowbench.training.mwpes.analyzers import ANALYZERS, Analysis
from knowbench.training.mwpes.embedders import EMBEDDERS, SentenceTransformerEmbedder
from knowbench.training.mwpes.gsm8k_rule import GSM8KRuleAnalyzer
from knowbench.training.mwpes.labelling import LABELLERS, ClassTfidfLabeller
from knowbench.training.mwpes.models import CLUSTERERS, REDUCERS
from knowbench.training.mwpes.pipeline import ClusterResult, ErrorClusterPipeline
from knowbench.training.mwpes.samples import (
    ErrorSample,
    errors_from_gsm8k_example_solutions,
    load_error_samples,
)
from knowbench.training.mwpes.taxonomy import Category, Taxonomy

__all__ = [
    "ANALYZERS", "CLUSTERERS", "EMBEDDERS", "LABELLERS", "REDUCERS", "Analysis", "Category", "ClassTfidfLabeller",
    "ClusterResult", "ErrorClusterPipeline", "ErrorSample", "GSM8KRuleAnalyzer", "SentenceTransformerEmbedder",
    "Taxonomy", "errors_from_gsm8k_example_solutions", "load_error_samples",
]
