//! Training data: a [`Dataset`] of samples (D inputs and one target), the
//! data CSV and `--params-init` readers and the CSV writer ([`csv`]), and
//! the seeded generators of the reference tasks ([`tasks`]). docs/data.md
//! describes the file layouts, the tasks and their random stream.

pub mod csv;
pub(crate) mod rng;
pub mod tasks;

use crate::diagnostic::Diagnostic;
use crate::source::Span;

pub use csv::{ParamValue, read_csv, read_params, write_csv};
pub use tasks::{GenerateError, Generated, Plan, Task, TestSet};

/// Samples of `dim()` inputs and one target. The inputs are one row-major
/// array (sample i is `inputs[i*D..(i+1)*D]`) so that a training loop walks
/// memory in order.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    input_names: Vec<String>,
    target_name: String,
    inputs: Vec<f64>,
    targets: Vec<f64>,
}

impl Dataset {
    /// An empty data set with these column names (the inputs in declaration
    /// order, then the target). A model has at least one input, so no data
    /// set has none.
    pub fn new(input_names: Vec<String>, target_name: impl Into<String>) -> Dataset {
        assert!(!input_names.is_empty(), "a data set without inputs");
        Dataset { input_names, target_name: target_name.into(), inputs: Vec::new(), targets: Vec::new() }
    }

    /// Appends one sample. `x` must hold exactly `dim()` values: a caller
    /// passing another count has a bug.
    pub fn push(&mut self, x: &[f64], y: f64) {
        assert_eq!(
            x.len(),
            self.dim(),
            "a sample of {} inputs pushed into a data set of {}",
            x.len(),
            self.dim()
        );
        self.inputs.extend_from_slice(x);
        self.targets.push(y);
    }

    pub fn len(&self) -> usize {
        self.targets.len()
    }

    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }

    /// The number of inputs per sample, D.
    pub fn dim(&self) -> usize {
        self.input_names.len()
    }

    pub fn input_names(&self) -> &[String] {
        &self.input_names
    }

    pub fn target_name(&self) -> &str {
        &self.target_name
    }

    /// The inputs of sample `i`.
    pub fn input(&self, i: usize) -> &[f64] {
        let d = self.dim();
        &self.inputs[i * d..(i + 1) * d]
    }

    pub fn target(&self, i: usize) -> f64 {
        self.targets[i]
    }

    pub fn targets(&self) -> &[f64] {
        &self.targets
    }

    /// Every sample in order, as (inputs, target).
    pub fn samples(&self) -> impl ExactSizeIterator<Item = (&[f64], f64)> + '_ {
        self.inputs.chunks_exact(self.dim()).zip(self.targets.iter().copied())
    }

    /// Samples `start..end`, with the same column names.
    pub fn rows(&self, start: usize, end: usize) -> Dataset {
        let d = self.dim();
        Dataset {
            input_names: self.input_names.clone(),
            target_name: self.target_name.clone(),
            inputs: self.inputs[start * d..end * d].to_vec(),
            targets: self.targets[start..end].to_vec(),
        }
    }

    /// Consecutive parts of the given sizes (train, validation, test, ...),
    /// in file order: no shuffle, as the reference reads its sets. Samples
    /// after the last part are not used.
    pub fn split(&self, sizes: &[usize]) -> Result<Vec<Dataset>, SplitError> {
        let requested = sizes.iter().try_fold(0usize, |sum, &n| sum.checked_add(n)).unwrap_or(usize::MAX);
        if requested > self.len() {
            return Err(SplitError { sizes: sizes.to_vec(), available: self.len() });
        }
        let mut start = 0;
        let parts = sizes
            .iter()
            .map(|&n| {
                let part = self.rows(start, start + n);
                start += n;
                part
            })
            .collect();
        Ok(parts)
    }
}

/// Split sizes that add up to more samples than the data set holds.
#[derive(Clone, Debug, PartialEq)]
pub struct SplitError {
    pub sizes: Vec<usize>,
    pub available: usize,
}

impl SplitError {
    /// E0904 at `at`, the place that asked for the split (a `split` setting).
    pub fn diagnostic(&self, at: Span) -> Diagnostic {
        let list: Vec<String> = self.sizes.iter().map(usize::to_string).collect();
        let total = self.sizes.iter().fold(0usize, |sum, &n| sum.saturating_add(n));
        Diagnostic::error(
            "E0904",
            format!("the split asks for {total} samples but the data hold {}", self.available),
        )
        .with_primary(at, format!("sizes {} add up to {total}", list.join(", ")))
        .with_note("the parts are taken in file order: train first, then validation, then test")
        .with_hint(format!("make the sizes add up to at most {}, or supply more samples", self.available))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::{Color, render_human};
    use crate::source::SourceDb;

    fn numbered(n: usize) -> Dataset {
        let mut data = Dataset::new(vec!["a".into(), "b".into()], "y");
        for i in 0..n {
            let v = i as f64;
            data.push(&[v, -v], 10.0 * v);
        }
        data
    }

    #[test]
    fn samples_are_stored_row_major_and_read_back() {
        let data = numbered(3);
        assert_eq!((data.len(), data.dim()), (3, 2));
        assert_eq!(data.input(2), &[2.0, -2.0]);
        assert_eq!(data.target(1), 10.0);
        let rows: Vec<(Vec<f64>, f64)> = data.samples().map(|(x, y)| (x.to_vec(), y)).collect();
        assert_eq!(rows, vec![(vec![0.0, -0.0], 0.0), (vec![1.0, -1.0], 10.0), (vec![2.0, -2.0], 20.0)]);
    }

    #[test]
    #[should_panic(expected = "a sample of 1 inputs")]
    fn a_sample_of_the_wrong_width_is_a_bug() {
        numbered(0).push(&[1.0], 0.0);
    }

    #[test]
    fn split_takes_consecutive_parts_in_order() {
        let data = numbered(10);
        let parts = data.split(&[5, 3, 2]).unwrap();
        assert_eq!(parts.iter().map(Dataset::len).collect::<Vec<_>>(), vec![5, 3, 2]);
        assert_eq!(parts[1].input(0), &[5.0, -5.0]);
        assert_eq!(parts[2].target(1), 90.0);
        assert_eq!(parts[0].input_names(), data.input_names());
        // Fewer than all: the rest is left unused.
        assert_eq!(data.split(&[4, 0]).unwrap()[0].len(), 4);
    }

    #[test]
    fn a_split_larger_than_the_data_is_e0904() {
        let data = numbered(10);
        let err = data.split(&[8, 3]).unwrap_err();
        assert_eq!(err, SplitError { sizes: vec![8, 3], available: 10 });
        // Sizes whose sum overflows are refused, not wrapped.
        assert!(data.split(&[usize::MAX, 2]).is_err());
        let mut db = SourceDb::default();
        let file = db.add("model.crnl", "split = 8, 3;\n");
        let rendered = render_human(&db, &[err.diagnostic(Span::new(file, 8, 12))], Color::Never);
        insta::assert_snapshot!(rendered);
    }
}
