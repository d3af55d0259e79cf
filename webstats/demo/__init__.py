"""Synthetic CloudFront logs for the demo and the benchmarks."""
