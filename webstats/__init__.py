"""bioc-webstats: the permanent record of Bioconductor package downloads."""

__version__ = "0.1.0"
