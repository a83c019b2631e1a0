//! Seeded generators of the reference tasks (domain.md §4.1, with the counts
//! and rules of §2.10 item 5): the same distributions as the reference code,
//! not the same samples (its random stream is numpy's or Julia's).
//!
//! Classification sets are drawn as the reference draws them: rejection
//! sampling fills a quota of the first class, then the rest with the second,
//! and the whole set is shuffled. The reference's generators take n and
//! yield n + 1 samples; here the count asked for is the count produced, and
//! the quota is the reference's for n = count − 1 (XOR: 101 samples are 51
//! negatives and 50 positives).

use std::fmt;

use super::Dataset;
use super::rng::Stream;
use crate::diagnostic::{Diagnostic, did_you_mean};
use crate::source::Span;

/// The most samples one generated set may hold (24 bytes each), and the most
/// grid points per axis (a grid of 1000² = 10⁶ points).
pub const MAX_SAMPLES: usize = 1_000_000;
pub const MAX_GRID_POINTS: usize = 1000;

/// A reference task.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Task {
    /// y = x₁ + 2x₂ + 1 + N(0, 0.4²), x ~ U(1, 5)².
    Linear,
    /// y = x₁x₂ + x₂² + N(0, 0.1²), x ~ U(0.5, 2)².
    Bilinear,
    /// y = sin x₁ + x₂² + N(0, 0.1²), x ~ U(0.5, 2)².
    Sin,
    /// y = round(x₁) xor round(x₂), x ~ U(0, 1)², balanced classes.
    Xor,
    /// The cubic task's rings: x ~ U(−1, 1)², r ≤ 0.45 → 0, 0.5 ≤ r ≤ 1 → 1.
    RingsCubic,
    /// The quadratic task's rings: centre (1, 1), x ~ U(0, 2)², r ≤ 0.4 → 0,
    /// 0.6 ≤ r ≤ 1 → 2.
    RingsQuadratic,
    /// round(x₁) and round(x₂), x ~ U(0, 1)², three quarters negatives.
    And,
    /// round(x₁) or round(x₂), x ~ U(0, 1)², a quarter negatives.
    Or,
}

const ALL: [Task; 8] = [
    Task::Linear,
    Task::Bilinear,
    Task::Sin,
    Task::Xor,
    Task::RingsCubic,
    Task::RingsQuadratic,
    Task::And,
    Task::Or,
];

/// How many samples each part of a generated task holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Plan {
    pub train: usize,
    pub validation: usize,
    pub test: TestSet,
}

/// The test part of a generated task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TestSet {
    None,
    /// Drawn like the training set, from its own part of the stream.
    Sampled(usize),
    /// `k` × `k` points on the input square, corners included, labelled by
    /// the task's rule (logic tasks only: their labels need no noise and
    /// have no gaps).
    Grid(usize),
}

/// A generated task's parts.
#[derive(Clone, Debug, PartialEq)]
pub struct Generated {
    pub train: Dataset,
    pub validation: Dataset,
    pub test: Option<Dataset>,
}

/// A request no generator serves.
#[derive(Clone, Debug, PartialEq)]
pub enum GenerateError {
    /// A part larger than [`MAX_SAMPLES`].
    TooLarge { part: &'static str, requested: usize },
    /// A grid of more than [`MAX_GRID_POINTS`] per axis.
    GridTooLarge { requested: usize },
    /// A grid test set for a task without a grid.
    NoGrid(Task),
}

impl Task {
    /// The task's name in the language and on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Task::Linear => "linear",
            Task::Bilinear => "bilinear",
            Task::Sin => "sin",
            Task::Xor => "xor",
            Task::RingsCubic => "rings_cubic",
            Task::RingsQuadratic => "rings_quadratic",
            Task::And => "and",
            Task::Or => "or",
        }
    }

    /// Every task name, for listings and [`crate::diagnostic::did_you_mean`].
    pub fn names() -> impl Iterator<Item = &'static str> {
        ALL.iter().map(|t| t.name())
    }

    /// The task of a name, in any case.
    pub fn from_name(name: &str) -> Option<Task> {
        ALL.into_iter().find(|t| t.name().eq_ignore_ascii_case(name))
    }

    /// E0905 for an unknown task name at `at`, with the closest name and the list.
    pub fn unknown(name: &str, at: Span) -> Diagnostic {
        let list: Vec<&str> = Task::names().collect();
        let hint = match did_you_mean(name, Task::names()) {
            Some(guess) => format!("{guess} the built-in tasks are {}", list.join(", ")),
            None => format!("the built-in tasks are {}", list.join(", ")),
        };
        Diagnostic::error("E0905", format!("no built-in task `{name}`"))
            .with_primary(at, "unknown task")
            .with_hint(hint)
    }

    /// The class threshold of a classification task (class 1 iff ŷ ≥ it),
    /// `None` for regression.
    pub fn threshold(self) -> Option<f64> {
        match self {
            Task::Linear | Task::Bilinear | Task::Sin => None,
            Task::Xor | Task::RingsCubic | Task::And | Task::Or => Some(0.5),
            Task::RingsQuadratic => Some(1.0),
        }
    }

    /// The reference's sizes: linear 41/101, bilinear and sin 50/100, XOR,
    /// AND and OR 101/31 with the 40 × 40 grid as test set, rings 101/201
    /// (cubic) and 101/101 (quadratic).
    pub fn defaults(self) -> Plan {
        let (train, validation) = match self {
            Task::Linear => (41, 101),
            Task::Bilinear | Task::Sin => (50, 100),
            Task::Xor | Task::And | Task::Or => (101, 31),
            Task::RingsCubic => (101, 201),
            Task::RingsQuadratic => (101, 101),
        };
        let test = if self.has_grid() { TestSet::Grid(40) } else { TestSet::None };
        Plan { train, validation, test }
    }

    /// The parts of `plan`, drawn from `seed` (docs/data.md: the stream).
    pub fn generate(self, seed: u64, plan: &Plan) -> Result<Generated, GenerateError> {
        let parts = [("train", plan.train), ("validation", plan.validation)];
        let test_size = match plan.test {
            TestSet::Sampled(n) => Some(("test", n)),
            _ => None,
        };
        for (part, requested) in parts.into_iter().chain(test_size) {
            if requested > MAX_SAMPLES {
                return Err(GenerateError::TooLarge { part, requested });
            }
        }
        let test = match plan.test {
            TestSet::None => None,
            TestSet::Sampled(n) => Some(self.draw(&mut Stream::new(seed, 2), n)),
            TestSet::Grid(k) => Some(self.grid(k)?),
        };
        Ok(Generated {
            train: self.draw(&mut Stream::new(seed, 0), plan.train),
            validation: self.draw(&mut Stream::new(seed, 1), plan.validation),
            test,
        })
    }

    /// `k` × `k` points on the unit square, k evenly spaced values per axis
    /// with both ends, x₁ the outer loop; labels by the task's rule with
    /// inputs rounded half up (the reference's XOR test grid for k = 40).
    pub fn grid(self, k: usize) -> Result<Dataset, GenerateError> {
        if !self.has_grid() {
            return Err(GenerateError::NoGrid(self));
        }
        if k > MAX_GRID_POINTS {
            return Err(GenerateError::GridTooLarge { requested: k });
        }
        let axis: Vec<f64> = match k {
            0 => Vec::new(),
            1 => vec![0.0],
            _ => (0..k).map(|i| i as f64 / (k - 1) as f64).collect(),
        };
        let mut data = columns();
        for &a in &axis {
            for &b in &axis {
                let label = self.label([a, b]).expect("a logic task labels every point of the square");
                data.push(&[a, b], label);
            }
        }
        Ok(data)
    }

    fn has_grid(self) -> bool {
        matches!(self, Task::Xor | Task::And | Task::Or)
    }

    /// `n` samples from `stream`.
    fn draw(self, stream: &mut Stream, n: usize) -> Dataset {
        match self {
            Task::Linear => regression(stream, n, self.square(), 0.4, |x| x[0] + 2.0 * x[1] + 1.0),
            Task::Bilinear => regression(stream, n, self.square(), 0.1, |x| x[0] * x[1] + x[1] * x[1]),
            Task::Sin => regression(stream, n, self.square(), 0.1, |x| libm::sin(x[0]) + x[1] * x[1]),
            _ => self.classes(stream, n),
        }
    }

    /// The square inputs are drawn from, [low, high)².
    fn square(self) -> (f64, f64) {
        match self {
            Task::Linear => (1.0, 5.0),
            Task::Bilinear | Task::Sin => (0.5, 2.0),
            Task::Xor | Task::And | Task::Or => (0.0, 1.0),
            Task::RingsCubic => (-1.0, 1.0),
            Task::RingsQuadratic => (0.0, 2.0),
        }
    }

    /// The label of a point, `None` where the task samples nothing (ring gaps,
    /// outside the outer ring). Labels are 0 for the first class.
    fn label(self, x: [f64; 2]) -> Option<f64> {
        let bit = |v: f64| (v + 0.5).floor() > 0.0;
        let logic = |v: bool| Some(if v { 1.0 } else { 0.0 });
        let ring = |centre: f64, inner: f64, outer: f64, positive: f64| {
            let r = ((x[0] - centre).powi(2) + (x[1] - centre).powi(2)).sqrt();
            if r <= inner {
                Some(0.0)
            } else if (outer..=1.0).contains(&r) {
                Some(positive)
            } else {
                None
            }
        };
        match self {
            Task::Xor => logic(bit(x[0]) ^ bit(x[1])),
            Task::And => logic(bit(x[0]) & bit(x[1])),
            Task::Or => logic(bit(x[0]) | bit(x[1])),
            Task::RingsCubic => ring(0.0, 0.45, 0.5, 1.0),
            Task::RingsQuadratic => ring(1.0, 0.4, 0.6, 2.0),
            Task::Linear | Task::Bilinear | Task::Sin => None,
        }
    }

    /// How many of `n` samples are in the first class (label 0): the
    /// reference's quota for its n − 1.
    fn first_class_quota(self, n: usize) -> usize {
        let m = n.saturating_sub(1);
        let quota = match self {
            Task::And => 3 * m / 4 + 1,
            Task::Or => m / 4 + 1,
            _ => m / 2 + 1,
        };
        quota.min(n)
    }

    fn classes(self, stream: &mut Stream, n: usize) -> Dataset {
        let (low, high) = self.square();
        let quota = self.first_class_quota(n);
        let mut samples = Vec::with_capacity(n);
        while samples.len() < n {
            let x = [stream.uniform(low, high), stream.uniform(low, high)];
            let wanted_first = samples.len() < quota;
            match self.label(x) {
                Some(y) if (y == 0.0) == wanted_first => samples.push((x, y)),
                _ => {}
            }
        }
        stream.shuffle(&mut samples);
        let mut data = columns();
        for (x, y) in samples {
            data.push(&x, y);
        }
        data
    }
}

impl fmt::Display for Task {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl GenerateError {
    /// E0905 at `at`, the place that asked for the data.
    pub fn diagnostic(&self, at: Span) -> Diagnostic {
        match self {
            GenerateError::TooLarge { part, requested } => Diagnostic::error(
                "E0905",
                format!("a generated {part} set of {requested} samples is too large"),
            )
            .with_primary(at, format!("at most {MAX_SAMPLES} samples"))
            .with_hint("ask for fewer samples, or read a data file (docs/limits.md)"),
            GenerateError::GridTooLarge { requested } => {
                Diagnostic::error("E0905", format!("a test grid of {requested} points per axis is too large"))
                    .with_primary(at, format!("at most {MAX_GRID_POINTS} per axis"))
                    .with_hint("ask for a coarser grid (docs/limits.md)")
            }
            GenerateError::NoGrid(task) => {
                let grids: Vec<&str> = ALL.iter().filter(|t| t.has_grid()).map(|t| t.name()).collect();
                Diagnostic::error("E0905", format!("the task `{task}` has no test grid"))
                    .with_primary(at, "grid asked for here")
                    .with_note("a grid needs a label at every point: ring gaps have none, regression labels have noise")
                    .with_hint(format!("use a sampled test set; grids exist for {}", grids.join(", ")))
            }
        }
    }
}

/// The generated sets' columns.
fn columns() -> Dataset {
    Dataset::new(vec!["x1".into(), "x2".into()], "y")
}

fn regression(
    stream: &mut Stream,
    n: usize,
    range: (f64, f64),
    sd: f64,
    f: impl Fn([f64; 2]) -> f64,
) -> Dataset {
    let mut data = columns();
    for _ in 0..n {
        let x = [stream.uniform(range.0, range.1), stream.uniform(range.0, range.1)];
        data.push(&x, f(x) + sd * stream.normal());
    }
    data
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sized(task: Task, train: usize, validation: usize) -> Generated {
        task.generate(5, &Plan { train, validation, test: TestSet::None }).unwrap()
    }

    fn count(data: &Dataset, label: f64) -> usize {
        data.targets().iter().filter(|&&y| y == label).count()
    }

    fn radius(x: &[f64], centre: f64) -> f64 {
        ((x[0] - centre).powi(2) + (x[1] - centre).powi(2)).sqrt()
    }

    fn mean_sd(values: impl Iterator<Item = f64>) -> (f64, f64) {
        let v: Vec<f64> = values.collect();
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        let var = v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (v.len() - 1) as f64;
        (mean, var.sqrt())
    }

    /// Least squares y ≈ c0 + c1·x1 + c2·x2, by the normal equations.
    fn fit_plane(data: &Dataset) -> [f64; 3] {
        let mut a = [[0.0; 4]; 3];
        for (x, y) in data.samples() {
            let row = [1.0, x[0], x[1]];
            for i in 0..3 {
                for j in 0..3 {
                    a[i][j] += row[i] * row[j];
                }
                a[i][3] += row[i] * y;
            }
        }
        for p in 0..3 {
            for r in 0..3 {
                if r != p {
                    let f = a[r][p] / a[p][p];
                    let pivot = a[p];
                    for (v, w) in a[r].iter_mut().zip(pivot) {
                        *v -= f * w;
                    }
                }
            }
        }
        [a[0][3] / a[0][0], a[1][3] / a[1][1], a[2][3] / a[2][2]]
    }

    #[test]
    fn names_round_trip_in_any_case_and_unknown_ones_get_a_guess() {
        for task in ALL {
            assert_eq!(Task::from_name(task.name()), Some(task));
            assert_eq!(Task::from_name(&task.name().to_uppercase()), Some(task));
        }
        assert_eq!(Task::names().count(), 8);
        assert_eq!(Task::from_name("circles"), None);
        let d = Task::unknown("bilinaer", Span::new(crate::source::FileId(0), 0, 8));
        assert_eq!(d.code, "E0905");
        assert!(d.hint.as_deref().unwrap().starts_with("did you mean `bilinear`?"), "{:?}", d.hint);
        assert!(d.hint.as_deref().unwrap().contains("rings_cubic, rings_quadratic"), "{:?}", d.hint);
    }

    #[test]
    fn defaults_are_the_reference_counts() {
        let sizes = |t: Task| {
            let g = t.generate(0, &t.defaults()).unwrap();
            (g.train.len(), g.validation.len(), g.test.map(|d| d.len()))
        };
        assert_eq!(sizes(Task::Linear), (41, 101, None));
        assert_eq!(sizes(Task::Bilinear), (50, 100, None));
        assert_eq!(sizes(Task::Sin), (50, 100, None));
        assert_eq!(sizes(Task::Xor), (101, 31, Some(1600)));
        assert_eq!(sizes(Task::And), (101, 31, Some(1600)));
        assert_eq!(sizes(Task::Or), (101, 31, Some(1600)));
        assert_eq!(sizes(Task::RingsCubic), (101, 201, None));
        assert_eq!(sizes(Task::RingsQuadratic), (101, 101, None));
        assert_eq!(Task::Xor.threshold(), Some(0.5));
        assert_eq!(Task::RingsQuadratic.threshold(), Some(1.0));
        assert_eq!(Task::Sin.threshold(), None);
    }

    #[test]
    fn class_quotas_are_the_references_n_plus_one_split() {
        let g = Task::Xor.generate(1, &Task::Xor.defaults()).unwrap();
        assert_eq!((count(&g.train, 0.0), count(&g.train, 1.0)), (51, 50));
        assert_eq!((count(&g.validation, 0.0), count(&g.validation, 1.0)), (16, 15));
        let and = sized(Task::And, 101, 31);
        assert_eq!((count(&and.train, 0.0), count(&and.train, 1.0)), (76, 25));
        let or = sized(Task::Or, 101, 31);
        assert_eq!((count(&or.train, 0.0), count(&or.train, 1.0)), (26, 75));
        let rings = sized(Task::RingsCubic, 101, 201);
        assert_eq!((count(&rings.validation, 0.0), count(&rings.validation, 1.0)), (101, 100));
        let quadratic = sized(Task::RingsQuadratic, 101, 0);
        assert_eq!((count(&quadratic.train, 0.0), count(&quadratic.train, 2.0)), (51, 50));
        // One sample is the first class; none is an empty set.
        assert_eq!(sized(Task::Xor, 1, 0).train.targets(), &[0.0]);
        assert!(sized(Task::Xor, 0, 0).train.is_empty());
    }

    proptest::proptest! {
        #[test]
        fn every_generated_set_has_its_size_quota_labels_and_square(
            seed: u64,
            index in 0..ALL.len(),
            train in 0usize..300,
        ) {
            let task = ALL[index];
            let g = task.generate(seed, &Plan { train, validation: 0, test: TestSet::None }).unwrap();
            proptest::prop_assert_eq!(g.train.len(), train);
            let (low, high) = task.square();
            for (x, y) in g.train.samples() {
                proptest::prop_assert!(x.iter().all(|v| (low..high).contains(v)), "{:?}", x);
                if task.threshold().is_some() {
                    proptest::prop_assert_eq!(task.label([x[0], x[1]]), Some(y));
                }
            }
            if task.threshold().is_some() {
                proptest::prop_assert_eq!(count(&g.train, 0.0), task.first_class_quota(train));
            }
        }
    }

    #[test]
    fn classes_are_shuffled_not_in_blocks() {
        let g = sized(Task::Xor, 101, 0);
        let first_half = &g.train.targets()[..51];
        assert!(first_half.contains(&1.0) && first_half.contains(&0.0));
    }

    #[test]
    fn logic_labels_follow_the_rounded_inputs_and_inputs_stay_in_the_unit_square() {
        for task in [Task::Xor, Task::And, Task::Or] {
            let g = sized(task, 20_000, 0);
            for (x, y) in g.train.samples() {
                assert!(x.iter().all(|v| (0.0..1.0).contains(v)), "{task}: {x:?}");
                let (a, b) = (x[0] >= 0.5, x[1] >= 0.5);
                let want = match task {
                    Task::Xor => a != b,
                    Task::And => a && b,
                    _ => a || b,
                };
                assert_eq!(y, if want { 1.0 } else { 0.0 }, "{task}: {x:?}");
            }
            // Within a class, the points spread over its quadrants evenly.
            let positives: Vec<&[f64]> = g.train.samples().filter(|s| s.1 == 1.0).map(|s| s.0).collect();
            if task == Task::Xor {
                let left_up = positives.iter().filter(|x| x[0] < 0.5).count() as f64 / positives.len() as f64;
                assert!((left_up - 0.5).abs() < 0.02, "{left_up}");
            }
        }
    }

    #[test]
    fn ring_gaps_and_the_outside_are_empty() {
        for (task, centre, inner, outer, positive) in
            [(Task::RingsCubic, 0.0, 0.45, 0.5, 1.0), (Task::RingsQuadratic, 1.0, 0.4, 0.6, 2.0)]
        {
            let g = sized(task, 20_000, 0);
            let (low, high) = task.square();
            for (x, y) in g.train.samples() {
                assert!(x.iter().all(|v| (low..high).contains(v)), "{task}: {x:?}");
                let r = radius(x, centre);
                if y == 0.0 {
                    assert!(r <= inner, "{task}: inner point at r = {r}");
                } else {
                    assert_eq!(y, positive);
                    assert!((outer..=1.0).contains(&r), "{task}: outer point at r = {r}");
                }
            }
            // The inner disc is filled to its edge and from its centre, the ring across its width.
            let radii: Vec<f64> = g.train.samples().map(|(x, _)| radius(x, centre)).collect();
            assert!(radii.iter().any(|&r| r > inner - 0.01 && r <= inner));
            assert!(radii.iter().any(|&r| r < 0.05));
            assert!(radii.iter().any(|&r| r >= outer && r < outer + 0.01));
            assert!(radii.iter().any(|&r| r > 0.99 && r <= 1.0));
        }
    }

    #[test]
    fn the_linear_task_fits_its_plane_and_its_noise() {
        let g = sized(Task::Linear, 100_000, 0);
        assert!(g.train.samples().all(|(x, _)| x.iter().all(|v| (1.0..5.0).contains(v))));
        let [intercept, slope1, slope2] = fit_plane(&g.train);
        // Standard errors on 1e5 samples are below 0.005.
        assert!((intercept - 1.0).abs() < 0.02, "intercept {intercept}");
        assert!((slope1 - 1.0).abs() < 0.005, "slope {slope1}");
        assert!((slope2 - 2.0).abs() < 0.005, "slope {slope2}");
        let (mean, sd) = mean_sd(g.train.samples().map(|(x, y)| y - (x[0] + 2.0 * x[1] + 1.0)));
        assert!(mean.abs() < 0.005, "noise mean {mean}");
        assert!((sd - 0.4).abs() < 0.004, "noise sd {sd}");
    }

    #[test]
    fn bilinear_and_sin_tasks_have_their_means_and_noise() {
        type Truth = fn(&[f64]) -> f64;
        let truths: [(Task, Truth); 2] =
            [(Task::Bilinear, |x| x[0] * x[1] + x[1] * x[1]), (Task::Sin, |x| x[0].sin() + x[1] * x[1])];
        for (task, truth) in truths {
            let g = sized(task, 50_000, 0);
            assert!(g.train.samples().all(|(x, _)| x.iter().all(|v| (0.5..2.0).contains(v))));
            let (mean, sd) = mean_sd(g.train.samples().map(|(x, y)| y - truth(x)));
            assert!(mean.abs() < 0.003, "{task}: noise mean {mean}");
            assert!((sd - 0.1).abs() < 0.002, "{task}: noise sd {sd}");
            let (x_mean, _) = mean_sd(g.train.samples().map(|(x, _)| x[0]));
            assert!((x_mean - 1.25).abs() < 0.01, "{task}: input mean {x_mean}");
        }
    }

    #[test]
    fn a_seed_gives_one_data_set_and_seeds_differ() {
        for task in ALL {
            let plan = Plan { test: TestSet::Sampled(7), ..task.defaults() };
            let a = task.generate(3, &plan).unwrap();
            assert_eq!(a, task.generate(3, &plan).unwrap(), "{task}");
            let b = task.generate(4, &plan).unwrap();
            assert_ne!(a.train, b.train, "{task}");
            assert_ne!(a.validation, b.validation, "{task}");
            // Each part has its own stream: the validation set does not move with the training size.
            let more = task.generate(3, &Plan { train: plan.train + 10, ..plan }).unwrap();
            assert_eq!(more.validation, a.validation, "{task}");
            assert_ne!(a.train.input(0), a.validation.input(0), "{task}");
        }
    }

    #[test]
    fn the_xor_grid_is_40_by_40_on_the_closed_square_rounded_half_up() {
        let grid = Task::Xor.generate(0, &Task::Xor.defaults()).unwrap().test.unwrap();
        assert_eq!(grid.len(), 1600);
        assert_eq!(
            (grid.input(0), grid.input(1), grid.input(1599)),
            (&[0.0, 0.0][..], &[0.0, 1.0 / 39.0][..], &[1.0, 1.0][..])
        );
        assert_eq!(grid.input(40), &[1.0 / 39.0, 0.0]);
        // 20 of the 40 values per axis are at least 0.5.
        assert_eq!(count(&grid, 1.0), 800);
        // A point at 0.5 exactly rounds up.
        let three = Task::Xor.grid(3).unwrap();
        assert_eq!(three.input(1), &[0.0, 0.5]);
        assert_eq!(three.target(1), 1.0);
        assert_eq!(Task::And.grid(2).unwrap().targets(), &[0.0, 0.0, 0.0, 1.0]);
        assert_eq!(Task::Or.grid(1).unwrap().targets(), &[0.0]);
    }

    #[test]
    fn requests_no_generator_serves_are_e0905() {
        let big = Plan { train: MAX_SAMPLES + 1, ..Task::Linear.defaults() };
        let err = Task::Linear.generate(0, &big).unwrap_err();
        assert_eq!(err, GenerateError::TooLarge { part: "train", requested: MAX_SAMPLES + 1 });
        let grid = Plan { test: TestSet::Grid(40), ..Task::RingsCubic.defaults() };
        assert_eq!(Task::RingsCubic.generate(0, &grid).unwrap_err(), GenerateError::NoGrid(Task::RingsCubic));
        assert_eq!(Task::Xor.grid(MAX_GRID_POINTS + 1), Err(GenerateError::GridTooLarge { requested: 1001 }));
        let sampled = Plan { test: TestSet::Sampled(MAX_SAMPLES + 1), ..Task::Xor.defaults() };
        assert!(matches!(Task::Xor.generate(0, &sampled), Err(GenerateError::TooLarge { part: "test", .. })));
        let too_fine = GenerateError::GridTooLarge { requested: 1001 }.diagnostic(Span::new(
            crate::source::FileId(0),
            0,
            4,
        ));
        assert_eq!(too_fine.message, "a test grid of 1001 points per axis is too large");
        let at = Span::new(crate::source::FileId(0), 0, 4);
        let d = GenerateError::NoGrid(Task::Sin).diagnostic(at);
        assert_eq!(d.code, "E0905");
        assert!(d.hint.unwrap().contains("xor, and, or"));
    }
}
