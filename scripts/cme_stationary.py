#!/usr/bin/env python3
"""The exact stationary distribution of a small CRN, independently of crnc.

Usage: python scripts/cme_stationary.py NET.crn [NAME=MAX ...]

NET.crn is crnc's text reaction list (`crnc compile -o NET.crn`). This script reads it itself,
enumerates the states reachable from the initial counts (initial value x volume, or the amount
for the species listed in `# amounts:`), builds the generator Q of the chemical master equation
with numpy, and solves pi Q = 0, sum(pi) = 1 densely (least squares on Q^T with a row of ones
appended). Propensities are the plain mass-action ones the format's rates are written in:
a(n) = k * V^(1 - order) * prod_i n_i (n_i - 1) ... (n_i - alpha_i + 1) (domain.md section 1.3).

NAME=MAX caps a species' count: transitions above it are dropped (for infinite classes; pick
caps where the stationary mass is negligible). Prints JSON {"species": [...], "states":
[[counts...], ...], "p": [...]}, species by their real (crnc) names.

It shares no code with crnc: it is the cross-check of `crnc analyze --stationary`
(tests/analyze.rs).
"""

import json
import re
import sys
from collections import deque

import numpy as np

MAX_STATES = 5000


def parse_complex(text):
    """'2 A + B' -> {'A': 2, 'B': 1}; '' -> {}."""
    out = {}
    for term in filter(None, (t.strip() for t in text.split("+"))):
        match = re.fullmatch(r"(?:(\d+)\s*)?(\w+)", term)
        if not match:
            raise ValueError(f"cannot read the complex term {term!r}")
        out[match.group(2)] = out.get(match.group(2), 0) + int(match.group(1) or 1)
    return out


def parse_crn(path):
    volume, amounts, real, initial, reactions = 1.0, set(), {}, {}, []
    with open(path) as fh:
        for raw in fh:
            line = raw.strip()
            if line.startswith("#"):
                key, _, value = line[1:].partition(":")
                key, value = key.strip(), value.strip()
                if key == "volume":
                    volume = float(value)
                elif key == "amounts":
                    amounts = set(value.split())
                elif key == "name":
                    plain, _, name = value.partition(" = ")
                    real[plain.strip()] = name.strip()
                continue
            line = line.split("#")[0].strip()
            if not line:
                continue
            if "@initial" in line:
                name, value = line.split("@initial")
                initial[name.strip()] = float(value)
                continue
            body, _, rates = line.partition("[")
            rates = dict(
                (k.strip(), float(v)) for k, v in (r.split("=") for r in rates.rstrip("]").split(","))
            )
            if "<=>" in body:
                left, right = body.split("<=>")
                reactions.append((parse_complex(left), parse_complex(right), rates["kf"]))
                reactions.append((parse_complex(right), parse_complex(left), rates["kr"]))
            else:
                left, right = body.split("->")
                reactions.append((parse_complex(left), parse_complex(right), rates["k"]))
    return volume, amounts, real, initial, reactions


def falling(n, a):
    out = 1.0
    for j in range(a):
        out *= n - j
    return out


def main():
    volume, amounts, real, initial, reactions = parse_crn(sys.argv[1])
    caps = dict(arg.split("=") for arg in sys.argv[2:])
    species = list(initial)
    index = {s: i for i, s in enumerate(species)}
    cap = [int(caps.get(real.get(s, s), caps.get(s, 2**62))) for s in species]
    start = []
    for s in species:
        count = initial[s] if s in amounts else initial[s] * volume
        if abs(count - round(count)) > 1e-9 * max(1.0, abs(count)):
            sys.exit(f"cme_stationary: the initial count of {s} is {count}, not whole")
        start.append(int(round(count)))
    channels = []
    for reactants, products, k in reactions:
        order = sum(reactants.values())
        alpha = [(index[s], a) for s, a in reactants.items()]
        change = [0] * len(species)
        for s, a in reactants.items():
            change[index[s]] -= a
        for s, b in products.items():
            change[index[s]] += b
        channels.append((k * volume ** (1 - order), alpha, change))

    states, seen, edges = [tuple(start)], {tuple(start): 0}, []
    queue = deque([0])
    while queue:
        i = queue.popleft()
        n = states[i]
        for c, alpha, change in channels:
            a = c
            for s, al in alpha:
                a *= falling(n[s], al)
            if a <= 0:
                continue
            target = tuple(x + d for x, d in zip(n, change))
            if target == n or any(t > m for t, m in zip(target, cap)):
                continue
            if target not in seen:
                if len(states) >= MAX_STATES:
                    sys.exit(f"cme_stationary: more than {MAX_STATES} states")
                seen[target] = len(states)
                states.append(target)
                queue.append(seen[target])
            edges.append((i, seen[target], a))

    size = len(states)
    q = np.zeros((size, size))
    for i, j, a in edges:
        q[i, j] += a
        q[i, i] -= a
    system = np.vstack([q.T, np.ones((1, size))])
    rhs = np.zeros(size + 1)
    rhs[-1] = 1.0
    pi, *_ = np.linalg.lstsq(system, rhs, rcond=None)
    json.dump(
        {
            "species": [real.get(s, s) for s in species],
            "states": [list(s) for s in states],
            "p": [float(p) for p in pi],
        },
        sys.stdout,
    )


if __name__ == "__main__":
    main()
