//! What a training run records: one [`Epoch`] per pass over the training
//! set (epoch 0 before any training), and the history CSV of design.md §4.2.

use crate::backend::number;

/// One row of the history. Losses are means of ½(ŷ − y)²; accuracies (for a
/// classifier) the fraction of samples with ŷ ≥ threshold exactly where
/// y ≥ threshold.
#[derive(Clone, Debug, PartialEq)]
pub struct Epoch {
    pub epoch: usize,
    /// Epoch 0: the loss of the initial parameters over the training set.
    /// Later: the running mean of each sample's loss before its update
    /// (domain.md §2.10 item 5).
    pub train_loss: f64,
    /// After the epoch's pass; `None` without a validation set.
    pub val_loss: Option<f64>,
    pub train_accuracy: Option<f64>,
    pub val_accuracy: Option<f64>,
    /// The parameters at the end of the epoch, in declaration order.
    pub params: Vec<f64>,
    /// Wall-clock seconds the epoch took (training and evaluation).
    pub seconds: f64,
}

/// A training run's record.
#[derive(Clone, Debug, PartialEq)]
pub struct History {
    /// The learned parameters' names, in declaration order (the order of
    /// [`Epoch::params`]).
    pub param_names: Vec<String>,
    /// Class 1 iff ŷ ≥ threshold; `None` for regression.
    pub threshold: Option<f64>,
    pub epochs: Vec<Epoch>,
}

impl History {
    /// `epoch,train_loss,val_loss` and, for classifiers,
    /// `,train_accuracy,val_accuracy`; one row per epoch, epoch 0 first. A
    /// value a run did not measure (no validation set) is empty.
    pub fn csv(&self) -> String {
        let classifier = self.threshold.is_some();
        let mut out = String::from("epoch,train_loss,val_loss");
        if classifier {
            out.push_str(",train_accuracy,val_accuracy");
        }
        out.push('\n');
        let field = |v: Option<f64>| v.map(number).unwrap_or_default();
        for e in &self.epochs {
            out.push_str(&format!("{},{},{}", e.epoch, number(e.train_loss), field(e.val_loss)));
            if classifier {
                out.push_str(&format!(",{},{}", field(e.train_accuracy), field(e.val_accuracy)));
            }
            out.push('\n');
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn epoch(epoch: usize, train_loss: f64, val_loss: Option<f64>, accuracy: Option<f64>) -> Epoch {
        Epoch {
            epoch,
            train_loss,
            val_loss,
            train_accuracy: accuracy,
            val_accuracy: accuracy,
            params: vec![0.5],
            seconds: 0.0,
        }
    }

    #[test]
    fn the_csv_has_accuracy_columns_only_for_a_classifier() {
        let mut history = History {
            param_names: vec!["theta".into()],
            threshold: None,
            epochs: vec![epoch(0, 2.5, Some(3.0), None), epoch(1, 0.25, None, None)],
        };
        assert_eq!(history.csv(), "epoch,train_loss,val_loss\n0,2.5,3\n1,0.25,\n");
        history.threshold = Some(0.5);
        history.epochs = vec![epoch(0, 0.2, Some(0.3), Some(0.75))];
        assert_eq!(
            history.csv(),
            "epoch,train_loss,val_loss,train_accuracy,val_accuracy\n0,0.2,0.3,0.75,0.75\n"
        );
    }
}
