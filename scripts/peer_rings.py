#!/usr/bin/env python3
"""The quadratic rings task (domain.md §4.1) through the Python peer's B4 circuit
(../shared/bench/peers/ncrn_ref: reference backward, exact feedback, chemical update, rate 1.0,
T = 0.4, backward 2.0, x_3 = 1, |N(0, 1)|/sqrt(3) initial θ), on data drawn as crnc's `rings_quadratic`
generator draws it (51 inner + 50 ring samples, rejection sampling on U(0, 2)², shuffled), 80
epochs; prints the validation accuracy per seed and the mean: what the reference scheme reaches
on the task, beside `scripts/acceptance_neural`'s rings row. The peer has no rings task of its own.
With --natural the classes come in their natural proportion on U(0, 2)² (rejection sampling of
both rings together, about one inner point in five) instead of the balanced split.
Usage: .venv-peers/bin/python scripts/peer_rings.py [--natural] [SEEDS...]   (minutes per seed)"""
import json, os, statistics, sys, time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.environ.get("CRNC_PEERS", os.path.join(ROOT, "..", "shared", "bench", "peers", "ncrn_ref")))
import ncrn  # noqa: E402
from train import Circuit, P_of, train  # noqa: E402

NAMES = [f"{i}{j}" for i in range(1, 4) for j in range(1, 4)]


def label(x):
    r = np.hypot(x[0] - 1, x[1] - 1)
    return 0.0 if r <= 0.4 else 2.0 if 0.6 <= r <= 1.0 else None


NATURAL = "--natural" in sys.argv[1:]


def draw(rng, n):
    """n + 1 samples, n // 2 + 1 of them inner, as the reference's XOR generator splits (or, with
    --natural, whatever falls in either ring)."""
    data = []
    while len(data) <= n:
        x = rng.uniform(0, 2, 2)
        wanted = 0.0 if len(data) <= n // 2 else 2.0
        y = label(x)
        if y is not None and (NATURAL or y == wanted):
            data.append((x, y))
    order = rng.permutation(len(data))
    return np.array([data[i][0] for i in order]), np.array([data[i][1] for i in order])


def run(seed):
    rng = np.random.default_rng(seed)
    training, validation = draw(rng, 100), draw(rng, 100)
    theta = np.abs(rng.normal(0, 1, 9)) / np.sqrt(3)
    circuit = Circuit("B4-ref", ncrn.b4_forward(3), ncrn.b4_backward(3, ann_A=True, ann_Z=False), D=3,
                      pnames=NAMES, T=0.4, Tb=2.0, xaug=1.0, h=0.0, update="chem", eta=1.0,
                      feedback="exact", rtol=1e-6, atol=1e-9, bwd_needs_z=True)
    started = time.perf_counter()
    history = train(circuit, P_of(dict(zip(NAMES, theta))), training, validation, 80, log=lambda _: None,
                    val_first=False)
    x, y = validation
    predicted = np.array([2.0 if circuit.predict(history["P"], xi) >= 1.0 else 0.0 for xi in x])
    return float((predicted == y).mean()), time.perf_counter() - started


seeds = [int(s) for s in sys.argv[1:] if s != "--natural"] or [0, 1, 2, 3, 4]
accuracies = []
for seed in seeds:
    accuracy, wall = run(seed)
    accuracies.append(accuracy)
    print(json.dumps({"seed": seed, "val_accuracy": accuracy, "wall_seconds": round(wall, 1)}), flush=True)
sd = statistics.stdev(accuracies) if len(accuracies) > 1 else 0.0
print(f"peer rings (quadratic{', natural proportion' if NATURAL else ''}): validation accuracy {statistics.mean(accuracies):.4f} ± {sd:.4f} over seeds {seeds}")
