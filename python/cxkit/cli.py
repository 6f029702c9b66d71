"""Command line: ``python -m cxkit demo``."""

from __future__ import annotations

import argparse
import sys
from typing import Optional, Sequence

from . import __version__


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cxkit", description="cxkit customer-experience metrics")
    parser.add_argument("--version", action="version", version=f"cxkit {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="analyse a seeded synthetic survey and write the tables to CSV")
    demo.add_argument("--out", default="cxkit-demo", help="output folder for the CSV files (default: cxkit-demo)")
    demo.add_argument("--rows", type=int, default=6000, help="number of survey responses (default: 6000)")
    demo.add_argument("--seed", type=int, default=20261122, help="random seed (default: 20261122)")
    args = parser.parse_args(argv)
    if args.command == "demo":
        from .demo import run

        if args.rows <= 0:
            parser.error(f"--rows must be positive, got {args.rows}")
        run(args.out, n=args.rows, seed=args.seed)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
