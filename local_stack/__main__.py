"""`python -m local_stack [--port N]`: the whole leadwire stack on this machine, on moto, no Docker, no AWS."""

from __future__ import annotations

import argparse
import os
import signal
import threading
import warnings

from local_stack.stack import LocalStack


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m local_stack", description=__doc__)
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "3000")),
                        help="port on 127.0.0.1 (default: $PORT or 3000; 0 picks a free one)")
    parser.add_argument("--no-schedule", action="store_true", help="do not fire the follow-up sweep on its own")
    parser.add_argument("--demo", action="store_true", help="start with two demo reps so leads get an owner")
    args = parser.parse_args()
    # Powertools warns on every invocation that published no metric; locally that is noise, not news.
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    stack = LocalStack(port=args.port, schedule=not args.no_schedule).start()
    if args.demo:
        stack.add_demo_team()
    print(f"leadwire local stack at {stack.url} (API key: {stack.api_key})", flush=True)
    print(f"  demo form and board: {stack.url}/   the owner's console: {stack.url}/console", flush=True)
    print(f"  follow-up sweep every {stack.schedule_rate_s:g} s; Ctrl-C stops", flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    try:
        stopped.wait()
    except KeyboardInterrupt:
        pass
    finally:
        stack.stop()
        print("leadwire local stack stopped", flush=True)


if __name__ == "__main__":
    main()
