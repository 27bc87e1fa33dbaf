"""``python -m ntk_bench ARGS`` is ``ntk-bench ARGS`` (the Hydra command line, ``ntk_bench/cli.py``)."""

from ntk_bench.cli import main

if __name__ == "__main__":
    main()
