"""knowbench: research datasets (EvoWiki, MWPES, ToolHop, knowledge triples / SMI) as Hugging Face datasets.

Data flows one way: ``knowbench.datasets_src`` (raw sources) -> ``knowbench.builders`` (Hub-ready folders with
parquet shards and a card rendered from ``knowbench.cards``) -> ``knowbench.loaders`` (``datasets.load_dataset``)
-> ``knowbench.training`` (baselines and evaluation).
"""

__version__ = "0.1.0"
