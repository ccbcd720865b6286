"""Retrieval quality as numbers: our eval set, ranking metrics, the eval runner and BEIR benchmarks.

Import from the submodules (`from eval.metrics import ndcg_at_k`); never bind the bare name
`eval`, which would shadow the builtin.
"""
