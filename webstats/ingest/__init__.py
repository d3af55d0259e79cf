"""Log files into the raw tables: formats, the parsing SQL, the raw store, the loader."""
