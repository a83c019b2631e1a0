#!/usr/bin/env python3
"""Time libRoadRunner on one SBML model, for benches/simulate.rs.

Usage: python scripts/roadrunner_bench.py MODEL.xml RTOL ATOL T1,T2,... REPEATS [GILLESPIE_T]

Prints one JSON object: load seconds, best simulate seconds per end time
(output at the end time only, CVODE), the absolute tolerance it uses for
each species (its own scaling of ATOL), and, if GILLESPIE_T is given, the
events per second of roadrunner's gillespie integrator to that time.
"""

import json
import sys
import time


def main():
    import roadrunner

    model, rtol, atol, ends, repeats = sys.argv[1:6]
    gillespie_t = float(sys.argv[6]) if len(sys.argv) > 6 else None
    t0 = time.perf_counter()
    rr = roadrunner.RoadRunner(model)
    load = time.perf_counter() - t0
    rr.integrator.relative_tolerance = float(rtol)
    rr.integrator.absolute_tolerance = float(atol)
    rr.integrator.maximum_num_steps = 10**7
    # libRoadRunner scales the absolute tolerance by each species' initial
    # value; report the vector it uses so that crnc can run at the same one.
    atol_vector = dict(zip(rr.model.getFloatingSpeciesIds(), map(float, rr.integrator.getAbsoluteToleranceVector())))
    sims = {}
    for key in ends.split(","):
        t_end = float(key)
        best = float("inf")
        for _ in range(int(repeats)):
            rr.reset()
            t = time.perf_counter()
            rr.simulate(0.0, t_end, 2)
            best = min(best, time.perf_counter() - t)
        sims[key] = best
    out = {"load": load, "simulate": sims, "atol": atol_vector}
    if gillespie_t is not None:
        rr.reset()
        rr.setIntegrator("gillespie")
        rr.integrator.seed = 1
        rr.integrator.variable_step_size = True
        t = time.perf_counter()
        result = rr.simulate(0.0, gillespie_t)
        seconds = time.perf_counter() - t
        # With variable steps every row is one event.
        out["gillespie_events_per_second"] = (len(result) - 1) / seconds
    print(json.dumps(out))


if __name__ == "__main__":
    main()
