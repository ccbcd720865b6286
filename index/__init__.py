"""Chunking, embedding, the FAISS and BM25 indexes, build and atomic publish, the searcher."""
