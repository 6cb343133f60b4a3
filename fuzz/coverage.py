"""Which operations of the contract the fuzzing reached with a success.

Usage: coverage.py CONTRACT METRICS

METRICS is the server's /metrics text after every run on one database: its
`http_requests_total` counts requests by method, route (the contract's path) and status.
Prints how many operations answered at least one 2xx, and lists those that never did with the
statuses they answered instead. Reports; never fails a run.
"""

import json
import re
import sys
from collections import defaultdict

LINE = re.compile(r'http_requests_total\{method="(\w+)",route="([^"]+)",status="(\d+)"\} (\d+)')


def main(contract_path: str, metrics_path: str) -> None:
    with open(contract_path, encoding="utf-8") as f:
        contract = json.load(f)
    answered: dict[tuple[str, str], dict[str, int]] = defaultdict(dict)
    with open(metrics_path, encoding="utf-8") as f:
        for match in LINE.finditer(f.read()):
            method, route, status, count = match.groups()
            answered[(method, route)][status] = int(count)
    operations = [
        (method.upper(), path)
        for path, item in contract["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    ]
    missed = [op for op in operations if not any(s.startswith("2") for s in answered[op])]
    print(f"{len(operations) - len(missed)} of {len(operations)} operations answered a 2xx")
    for method, path in missed:
        statuses = ", ".join(f"{s} x{n}" for s, n in sorted(answered[(method, path)].items()))
        print(f"  no 2xx: {method} {path} ({statuses or 'never called'})")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
