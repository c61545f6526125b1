"""The benchmarks (`make bench` runs bench/bench.py): a package, so its modules import each other however they run."""
