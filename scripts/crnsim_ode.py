#!/usr/bin/env python3
"""The ODE that crnsimulator (PyPI `crnsimulator`) reads from a text reaction list.

Usage: python scripts/crnsim_ode.py NET.crn STATES.json

STATES.json is a list of states, each {"species name": concentration, ...}. Prints JSON
{"rhs": [{"species name": dx/dt, ...} per state]} for every species crnsimulator's reaction
graph has (species that take part in no reaction are left out: their derivative is 0).

crnsimulator's own parser and ODE builder (ReactionGraph.ode_system) do the work, as its
command-line simulator does; reversible reactions are split the way that simulator splits
them. Exit status 2 when crnsimulator cannot be imported.
"""

import json
import sys


def main():
    try:
        from crnsimulator import parse_crn_file, ReactionGraph
        import sympy
    except ImportError as e:
        print(f"crnsim_ode: cannot import crnsimulator ({e}); run scripts/test, which installs it "
              "into .venv, or set CRNC_PYTHON", file=sys.stderr)
        sys.exit(2)
    crn_path, states_path = sys.argv[1], sys.argv[2]
    crn, _species = parse_crn_file(crn_path)
    reactions = []
    for reactants, products, k in crn:
        reactions.append([reactants, products, k[0]])
        if len(k) == 2:
            reactions.append([products, reactants, k[1]])
    graph = ReactionGraph(reactions)
    names = sorted(graph.species)
    variables, rhs, _jacobian, _rates = graph.ode_system(sorted_vars=names)
    f = sympy.lambdify(variables, list(rhs), "math")
    with open(states_path) as fh:
        states = json.load(fh)
    out = []
    for state in states:
        values = f(*[state.get(n, 0.0) for n in names])
        out.append(dict(zip(names, map(float, values))))
    print(json.dumps({"rhs": out}))


if __name__ == "__main__":
    main()
