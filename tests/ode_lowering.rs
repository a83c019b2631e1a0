//! `ode` blocks compiled to reactions track the ODE itself: for each network of
//! examples/odes.crnl, the compiled CRN's values (x_p - x_m for dual-rail
//! values) stay within 1e-4 relative of the ODE solved directly (closed form,
//! matrix exponential, or RK4 with a fine step) over t in [0, 10]. The error is
//! relative to the largest magnitude the variable reaches.

mod common;

use nalgebra::{DMatrix, DVector};

use crnc::crn::Crn;
use crnc::sim::kinetics::Kinetics;
use crnc::sim::ode::{self, OdeOptions};
use crnc::source::RealFs;

const POINTS: usize = 200;
const T_END: f64 = 10.0;

fn times() -> Vec<f64> {
    (0..=POINTS).map(|i| T_END * i as f64 / POINTS as f64).collect()
}

fn network(name: &str) -> Crn {
    std::env::set_current_dir(common::root()).unwrap();
    common::compile_all(&RealFs::default(), "examples/odes.crnl".as_ref())
        .into_iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no network {name}"))
}

/// The value of each variable over time: a species, or the difference of its rails.
fn values(crn: &Crn, variables: &[&str]) -> Vec<Vec<f64>> {
    let opts = OdeOptions { rtol: 1e-10, atol: 1e-12, ..OdeOptions::default() };
    let sol = ode::solve(&Kinetics::new(crn), &crn.initial_concentrations(), &times(), &opts).unwrap();
    let n = crn.species.len();
    let column = |name: &str| -> Option<Vec<f64>> {
        let i = crn.species.iter().position(|s| s.name == name)?;
        Some(sol.values.chunks(n).map(|row| row[i]).collect())
    };
    variables
        .iter()
        .map(|v| match column(v) {
            Some(single) => single,
            None => {
                let (p, m) = (column(&format!("{v}_p")).unwrap(), column(&format!("{v}_m")).unwrap());
                p.iter().zip(&m).map(|(a, b)| a - b).collect()
            }
        })
        .collect()
}

/// Classic RK4 with step `h`, sampled at the output times.
fn rk4(f: impl Fn(&[f64]) -> Vec<f64>, x0: &[f64], h: f64) -> Vec<Vec<f64>> {
    let steps_per_point = (T_END / POINTS as f64 / h).round() as usize;
    let mut x = x0.to_vec();
    let mut out: Vec<Vec<f64>> = x0.iter().map(|&v| vec![v]).collect();
    let axpy =
        |x: &[f64], k: &[f64], a: f64| -> Vec<f64> { x.iter().zip(k).map(|(x, k)| x + a * k).collect() };
    for _ in 0..POINTS {
        for _ in 0..steps_per_point {
            let k1 = f(&x);
            let k2 = f(&axpy(&x, &k1, h / 2.0));
            let k3 = f(&axpy(&x, &k2, h / 2.0));
            let k4 = f(&axpy(&x, &k3, h));
            for i in 0..x.len() {
                x[i] += h / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
            }
        }
        for (i, v) in x.iter().enumerate() {
            out[i].push(*v);
        }
    }
    out
}

fn assert_tracks(what: &str, crn: &[Vec<f64>], reference: &[Vec<f64>]) {
    for (v, (got, want)) in crn.iter().zip(reference).enumerate() {
        let scale = want.iter().fold(0.0f64, |m, x| m.max(x.abs()));
        let worst = got.iter().zip(want).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        assert!(worst <= 1e-4 * scale, "{what}, variable {v}: error {worst:e} against a scale of {scale}");
    }
}

#[test]
fn rotation_tracks_cos_and_sin() {
    let got = values(&network("Rotation"), &["x", "y"]);
    let t = times();
    let reference = vec![t.iter().map(|t| t.cos()).collect(), t.iter().map(|t| t.sin()).collect()];
    assert_tracks("rotation", &got, &reference);
}

#[test]
fn lotka_volterra_tracks_its_ode() {
    let got = values(&network("LotkaVolterra"), &["prey", "predator"]);
    let reference = rk4(|x| vec![1.5 * x[0] - x[0] * x[1], x[0] * x[1] - x[1]], &[1.0, 0.5], 1e-3);
    assert_tracks("Lotka-Volterra", &got, &reference);
}

#[test]
fn cubic_with_negative_terms_tracks_its_ode() {
    let got = values(&network("Cubic"), &["z"]);
    let reference = rk4(|x| vec![x[0] - x[0].powi(3) + 0.2], &[-0.5], 1e-3);
    assert_tracks("cubic", &got, &reference);
}

#[test]
fn five_variable_linear_system_tracks_the_matrix_exponential() {
    let got = values(&network("Linear5"), &["x1", "x2", "x3", "x4", "x5"]);
    #[rustfmt::skip]
    let a = DMatrix::from_row_slice(5, 5, &[
        -0.5, 1.0, 0.0, 0.0, 0.0,
        -1.0, -0.5, 0.0, 0.0, 0.3,
        0.2, 0.0, -1.0, 0.4, 0.0,
        0.0, 0.0, -0.4, -0.2, 0.0,
        0.0, 0.1, 0.2, 0.0, -0.3,
    ]);
    let x0 = DVector::from_vec(vec![1.0, -1.0, 0.5, 0.0, -0.5]);
    let mut reference = vec![Vec::new(); 5];
    for t in times() {
        let x = (&a * t).exp() * &x0;
        for i in 0..5 {
            reference[i].push(x[i]);
        }
    }
    assert_tracks("linear system", &got, &reference);
}

#[test]
fn single_rail_is_kept_where_values_stay_non_negative() {
    let names = |c: &Crn| c.species.iter().map(|s| s.name.clone()).collect::<Vec<_>>();
    assert_eq!(names(&network("LotkaVolterra")), ["prey", "predator"]);
    assert_eq!(names(&network("Rotation")), ["x_p", "x_m", "y_p", "y_m"]);
    assert_eq!(names(&network("Cubic")), ["z_p", "z_m"]);
}
