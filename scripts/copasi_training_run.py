#!/usr/bin/env python3
"""Run a training run exported by `crnc compile --training-run` in COPASI.

Usage: python scripts/copasi_training_run.py MODEL.xml RTOL ATOL OUT.json

COPASI (its Python bindings, python-copasi) imports the SBML document and runs
its deterministic time course (LSODA, events) from 0 past the model's `t_end`;
OUT.json gets:
  {"t_end": the model's t_end,
   "final": {species name: concentration at the end},
   "seconds": COPASI's wall time for importing and simulating}

Exit status: 0 ok, 1 a failed import or simulation, 2 COPASI cannot be
imported (the venv is missing: run scripts/test, or set CRNC_PYTHON).
"""

import json
import sys
import time


def main():
    try:
        import COPASI
    except ImportError as e:
        print(f"cannot import COPASI ({e}): run scripts/test, which makes the venv", file=sys.stderr)
        return 2
    model_path, rtol, atol, out = sys.argv[1:5]
    started = time.perf_counter()
    data = COPASI.CRootContainer.addDatamodel()
    imported = data.importSBML(model_path)
    if not imported:
        log = COPASI.CCopasiMessage.getAllMessageText(True)
        print(f"COPASI cannot import {model_path}:\n{log}", file=sys.stderr)
        return 1
    model = data.getModel()
    t_end = next(v.getInitialValue() for v in model.getModelValues() if v.getSBMLId() == "t_end")
    task = data.getTask("Time-Course")
    task.setMethodType(COPASI.CTaskEnum.Method_deterministic)
    problem = task.getProblem()
    problem.setDuration(t_end + 1.0)
    problem.setStepNumber(2)
    problem.setTimeSeriesRequested(True)
    method = task.getMethod()
    method.getParameter("Relative Tolerance").setDblValue(float(rtol))
    method.getParameter("Absolute Tolerance").setDblValue(float(atol))
    method.getParameter("Max Internal Steps").setIntValue(1000000)
    if not task.process(True):
        print(f"COPASI's time course failed:\n{COPASI.CCopasiMessage.getAllMessageText(True)}", file=sys.stderr)
        return 1
    seconds = time.perf_counter() - started
    series = task.getTimeSeries()
    last = series.getRecordedSteps() - 1
    final = {}
    for m in model.getMetabolites():
        column = next(i for i in range(series.getNumVariables()) if series.getKey(i) == m.getKey())
        final[m.getObjectName()] = series.getConcentrationData(last, column)
    with open(out, "w") as f:
        json.dump({"t_end": t_end, "final": final, "seconds": seconds}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
