"""What two or more training modules share: the tiny decoder LM, the training loop, run folders and model helpers.

The baselines themselves live under their dataset's name: ``training.triples.smi_mini``,
``training.toolhop.tool_sft`` and ``training.evowiki.continual``.

Example:
    $ knowbench train smi-mini --out runs/smi-mini
"""
