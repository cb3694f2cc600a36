"""Trained baselines: the SMI miniature (``smi-mini``), token-weighted tool-use SFT (``tool-sft``) and continual
learning on EvoWiki (``evowiki-cl``), on a common run-folder infrastructure (:mod:`knowbench.training.train.runs`).

Example:
    $ knowbench train smi-mini --out runs/smi-mini
"""
