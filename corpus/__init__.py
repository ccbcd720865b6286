"""Where documents come from: bundled notes, curated READMEs, discovery and Markdown parsing."""
