"""Closed-book QA retention of facts (the accuracy side of the SMI analysis, arXiv 2502.04066)."""
