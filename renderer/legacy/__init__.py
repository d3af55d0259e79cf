"""The legacy /packages/stats/ site: URL grammar, queries, page layouts, charts, spooled files."""
