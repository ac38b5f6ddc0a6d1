"""Feed exporters and storage for research-grade dataset files (CSV, JSONL, Parquet)."""
