#!/usr/bin/env python3
"""Cross-check an SBML file written by crnc against independent tools.

Usage: python scripts/sbml_check.py MODEL.xml EXPECTED.json

EXPECTED.json:
  {"species": [sbml species ids, in order],
   "reactions": [sbml reaction ids, in order],
   "stoichiometry": [[one row per species, one column per reaction]],
   "rates": [flux of each sbml reaction at t=0, in extent/time],
   "initial": {"species id": concentration at t=0, ...}   (optional)}

libSBML validates the document with every consistency check on (units and
modeling practice included); any error or warning fails. libRoadRunner then
loads the model, and its stoichiometry matrix and initial reaction rates must
match what crnc computed itself.

Exit status: 0 ok, 1 any mismatch or libSBML issue, 2 the tools cannot be
imported (the venv is missing: run scripts/test, or set CRNC_PYTHON).
"""

import json
import math
import sys

REL_TOL = 1e-9
ABS_TOL = 1e-12


def import_tools():
    try:
        import libsbml
        import roadrunner
    except ImportError as e:
        print(
            f"sbml_check: cannot import python-libsbml and libroadrunner ({e}).\n"
            f"  interpreter: {sys.executable}\n"
            "  The project venv is missing: run scripts/test (it creates .venv with both),\n"
            "  or point CRNC_PYTHON at a python that has them.",
            file=sys.stderr,
        )
        sys.exit(2)
    return libsbml, roadrunner


def close(expected, actual):
    return abs(expected - actual) <= ABS_TOL + REL_TOL * abs(expected)


def libsbml_issues(libsbml, path):
    """Every issue of severity warning or worse, from reading and from checking."""
    doc = libsbml.readSBMLFromFile(path)
    issues = []

    def collect(stage):
        log = doc.getErrorLog()
        for i in range(log.getNumErrors()):
            e = log.getError(i)
            if e.getSeverity() >= libsbml.LIBSBML_SEV_WARNING:
                issues.append(
                    f"{stage}: {e.getSeverityAsString()} {e.getErrorId()} "
                    f"[{e.getCategoryAsString()}] line {e.getLine()}: {e.getMessage().strip()}"
                )
        log.clearLog()

    collect("read")
    if doc.getModel() is None:
        issues.append("read: the document has no model")
        return issues
    for category in (
        libsbml.LIBSBML_CAT_GENERAL_CONSISTENCY,
        libsbml.LIBSBML_CAT_IDENTIFIER_CONSISTENCY,
        libsbml.LIBSBML_CAT_UNITS_CONSISTENCY,
        libsbml.LIBSBML_CAT_MATHML_CONSISTENCY,
        libsbml.LIBSBML_CAT_SBO_CONSISTENCY,
        libsbml.LIBSBML_CAT_OVERDETERMINED_MODEL,
        libsbml.LIBSBML_CAT_MODELING_PRACTICE,
    ):
        doc.setConsistencyChecks(category, True)
    doc.checkConsistency()
    collect("check")
    return issues


def roadrunner_mismatches(roadrunner, path, expected):
    problems = []
    rr = roadrunner.RoadRunner(path)

    matrix = rr.getFullStoichiometryMatrix()
    rows = list(matrix.rownames)
    cols = list(matrix.colnames)
    species, reactions = expected["species"], expected["reactions"]
    if sorted(rows) != sorted(species):
        problems.append(f"stoichiometry rows {rows} != expected species {species}")
    if sorted(cols) != sorted(reactions):
        problems.append(f"stoichiometry columns {cols} != expected reactions {reactions}")
    if not problems:
        for i, s in enumerate(species):
            for j, r in enumerate(reactions):
                want = expected["stoichiometry"][i][j]
                got = matrix[rows.index(s), cols.index(r)]
                if got != want:
                    problems.append(f"stoichiometry[{s}, {r}] = {got}, expected {want}")

    rate_ids = list(rr.model.getReactionIds())
    rates = rr.getReactionRates()
    for r, want in zip(reactions, expected["rates"]):
        if r not in rate_ids:
            problems.append(f"roadrunner has no reaction {r}")
            continue
        got = float(rates[rate_ids.index(r)])
        if not close(want, got):
            problems.append(f"rate of {r} at t=0 = {got!r}, expected {want!r}")

    for s, want in (expected.get("initial") or {}).items():
        got = float(rr.getValue(f"[{s}]"))
        if not close(want, got):
            problems.append(f"initial concentration of {s} = {got!r}, expected {want!r}")
    return problems


def main(argv):
    if len(argv) != 3:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 1
    libsbml, roadrunner = import_tools()
    path, expected_path = argv[1], argv[2]
    with open(expected_path, encoding="utf-8") as f:
        expected = json.load(f)
    if len(expected["rates"]) != len(expected["reactions"]) or any(
        not math.isfinite(v) for v in expected["rates"]
    ):
        print(f"sbml_check: {expected_path}: malformed rates", file=sys.stderr)
        return 1

    issues = libsbml_issues(libsbml, path)
    for issue in issues:
        print(f"libsbml {issue}")
    try:
        problems = roadrunner_mismatches(roadrunner, path, expected)
    except Exception as e:  # roadrunner raises plain RuntimeError on a model it rejects
        problems = [f"roadrunner failed: {e}"]
    for problem in problems:
        print(f"roadrunner: {problem}")

    ok = not issues and not problems
    print(
        f"sbml_check {'OK' if ok else 'FAILED'}: {path}: libsbml {len(issues)} issue(s), "
        f"roadrunner {len(problems)} mismatch(es), {len(expected['species'])} species, "
        f"{len(expected['reactions'])} reactions"
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
