"""wippy's benchmarks: each scenario measured next to its baseline in the same run."""
