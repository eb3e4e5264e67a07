"""`python -m bench.stack [--port N] [--no-schedule]`: the local stack exactly as `python -m local_stack` starts it,
with bench.moto_speed's Query fix applied first (a no-op once local_stack carries it)."""

from __future__ import annotations

from bench.moto_speed import speed_up_queries


def main() -> None:
    speed_up_queries()
    from local_stack.__main__ import main as run_local_stack

    run_local_stack()


if __name__ == "__main__":
    main()
