"""leadwire's benchmarks: `python -m bench` (make bench) measures cold starts, warm CPU, the pipeline and its cost."""
