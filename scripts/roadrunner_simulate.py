#!/usr/bin/env python3
"""Simulate an SBML model with libRoadRunner (CVODE) and write concentrations as CSV.

Usage: python scripts/roadrunner_simulate.py MODEL.xml T_END POINTS RTOL ATOL OUT.csv

Columns: time, then the concentration of every floating species in the
model's species order. Used by the tests to compare crnc's ODE solver with
an independent one on crnc's own SBML export.
Exit status: 0 ok, 1 simulation failure, 2 the tools cannot be imported.
"""

import csv
import sys


def main():
    try:
        import libsbml
        import roadrunner
    except ImportError as e:
        print(f"roadrunner_simulate: cannot import libroadrunner/libsbml ({e}); run scripts/test "
              "(it creates .venv) or set CRNC_PYTHON", file=sys.stderr)
        return 2
    model, t_end, points, rtol, atol, out = sys.argv[1:7]
    doc = libsbml.readSBMLFromFile(model)
    ids = [s.getId() for s in doc.getModel().getListOfSpecies()]
    rr = roadrunner.RoadRunner(model)
    rr.integrator.relative_tolerance = float(rtol)
    rr.integrator.absolute_tolerance = float(atol)
    rr.integrator.maximum_num_steps = 1000000
    rr.timeCourseSelections = ["time"] + [f"[{i}]" for i in ids]
    result = rr.simulate(0.0, float(t_end), int(points) + 1)
    with open(out, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["time"] + ids)
        for row in result:
            w.writerow([repr(float(v)) for v in row])
    return 0


if __name__ == "__main__":
    sys.exit(main())
