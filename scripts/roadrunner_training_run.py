#!/usr/bin/env python3
"""Check and run a training run exported by `crnc compile --training-run`.

Usage: python scripts/roadrunner_training_run.py MODEL.xml RTOL ATOL OUT.json

libSBML validates the document with every consistency check on (the checks
of scripts/sbml_check.py); then libRoadRunner (CVODE, events) simulates it
from 0 past the model's `t_end` (after it every gate is off, so nothing
changes) and OUT.json gets:
  {"issues": [libSBML errors and warnings],
   "t_end": the model's t_end,
   "final": {species name: concentration at the end},
   "seconds": libRoadRunner's wall time for loading and simulating}

Exit status: 0 ok, 1 a libSBML issue or a failed simulation, 2 the tools
cannot be imported (the venv is missing: run scripts/test, or set CRNC_PYTHON).
"""

import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from sbml_check import import_tools, libsbml_issues  # noqa: E402


def main():
    libsbml, roadrunner = import_tools()
    model, rtol, atol, out = sys.argv[1:5]
    issues = libsbml_issues(libsbml, model)
    doc = libsbml.readSBMLFromFile(model)
    species = [(s.getId(), s.getName() or s.getId()) for s in doc.getModel().getListOfSpecies()]
    t_end = doc.getModel().getParameter("t_end").getValue()
    started = time.perf_counter()
    rr = roadrunner.RoadRunner(model)
    rr.integrator.relative_tolerance = float(rtol)
    rr.integrator.absolute_tolerance = float(atol)
    rr.integrator.maximum_num_steps = 1000000
    rr.timeCourseSelections = ["time"] + [f"[{i}]" for i, _ in species]
    result = rr.simulate(0.0, t_end + 1.0, 2)
    seconds = time.perf_counter() - started
    last = result[-1]
    final = {name: float(last[k + 1]) for k, (_, name) in enumerate(species)}
    with open(out, "w") as f:
        json.dump({"issues": issues, "t_end": t_end, "final": final, "seconds": seconds}, f, indent=1)
    for issue in issues:
        print(issue, file=sys.stderr)
    return 1 if issues else 0


if __name__ == "__main__":
    sys.exit(main())
