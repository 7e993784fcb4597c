//! Evaluation figures from labels and class probabilities: accuracy, the confusion matrix,
//! per-class precision, recall and F1, one-vs-rest ROC-AUC and the most confident mistakes.
//! Plain Rust (no Burn): the CLI and the engine compute them, the page renders them.

use serde::{Deserialize, Serialize};

use crate::data::NUM_CLASSES;

/// `confusion[true][predicted]` counts.
pub type Confusion = [[usize; NUM_CLASSES]; NUM_CLASSES];

/// Fraction of the diagonal.
pub fn accuracy(confusion: &Confusion) -> f64 {
    let total: usize = confusion.iter().flatten().sum();
    let correct: usize = (0..NUM_CLASSES).map(|c| confusion[c][c]).sum();
    correct as f64 / total.max(1) as f64
}

/// Precision, recall and F1 of one class (one-vs-rest), from a confusion matrix.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClassMetrics {
    pub precision: f64,
    pub recall: f64,
    pub f1: f64,
    /// Records whose true class this is.
    pub support: usize,
}

/// Per-class metrics; a class never predicted has precision 0 (and F1 0), as scikit-learn does.
pub fn per_class(confusion: &Confusion) -> Vec<ClassMetrics> {
    (0..NUM_CLASSES)
        .map(|c| {
            let tp = confusion[c][c] as f64;
            let predicted: usize = (0..NUM_CLASSES).map(|t| confusion[t][c]).sum();
            let support: usize = confusion[c].iter().sum();
            let ratio = |n: f64, d: usize| if d == 0 { 0.0 } else { n / d as f64 };
            let (precision, recall) = (ratio(tp, predicted), ratio(tp, support));
            let f1 = if precision + recall == 0.0 {
                0.0
            } else {
                2.0 * precision * recall / (precision + recall)
            };
            ClassMetrics {
                precision,
                recall,
                f1,
                support,
            }
        })
        .collect()
}

/// Area under the ROC curve of `scores` for the records marked `positive`: the probability that
/// a random positive scores above a random negative, ties counting one half (the Mann–Whitney
/// statistic, computed with average ranks). `None` without both positives and negatives.
pub fn roc_auc(scores: &[f32], positive: &[bool]) -> Option<f64> {
    assert_eq!(scores.len(), positive.len(), "one score per record");
    let positives = positive.iter().filter(|&&p| p).count();
    let negatives = positive.len() - positives;
    if positives == 0 || negatives == 0 {
        return None;
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    // Sum of the (1-based, tie-averaged) ranks of the positives.
    let mut rank_sum = 0.0;
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && scores[order[end]] == scores[order[start]] {
            end += 1;
        }
        let average_rank = (start + 1 + end) as f64 / 2.0;
        let tied_positives = order[start..end].iter().filter(|&&i| positive[i]).count();
        rank_sum += average_rank * tied_positives as f64;
        start = end;
    }
    let p = positives as f64;
    Some((rank_sum - p * (p + 1.0) / 2.0) / (p * negatives as f64))
}

/// Every figure of one evaluation (one way of predicting: plain or with TTA).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EvalReport {
    pub records: usize,
    pub accuracy: f64,
    pub confusion: Confusion,
    pub per_class: Vec<ClassMetrics>,
    /// One-vs-rest ROC-AUC of each class's probability (`None`: the class has no records, or
    /// every record is of it).
    pub roc_auc: Vec<Option<f64>>,
    /// The mean over the classes that have one.
    pub mean_roc_auc: Option<f64>,
    /// The predicted class of every record.
    pub predicted: Vec<u8>,
    /// The probability the model gave its prediction, per record.
    pub confidence: Vec<f32>,
}

impl EvalReport {
    /// From each record's true class and class probabilities (ties go to the lower class, as
    /// `argmax` does).
    pub fn from_probabilities(labels: &[u8], probabilities: &[[f32; NUM_CLASSES]]) -> Self {
        assert_eq!(labels.len(), probabilities.len(), "one row per record");
        let mut confusion = [[0usize; NUM_CLASSES]; NUM_CLASSES];
        let mut predicted = Vec::with_capacity(labels.len());
        let mut confidence = Vec::with_capacity(labels.len());
        for (&label, row) in labels.iter().zip(probabilities) {
            let (class, p) =
                row.iter()
                    .enumerate()
                    .fold((0, f32::NEG_INFINITY), |best, (c, &p)| {
                        if p > best.1 { (c, p) } else { best }
                    });
            confusion[label as usize][class] += 1;
            predicted.push(class as u8);
            confidence.push(p);
        }
        let roc_auc: Vec<Option<f64>> = (0..NUM_CLASSES)
            .map(|c| {
                let scores: Vec<f32> = probabilities.iter().map(|row| row[c]).collect();
                let positive: Vec<bool> = labels.iter().map(|&l| l as usize == c).collect();
                roc_auc(&scores, &positive)
            })
            .collect();
        let known: Vec<f64> = roc_auc.iter().flatten().copied().collect();
        let mean_roc_auc =
            (!known.is_empty()).then(|| known.iter().sum::<f64>() / known.len() as f64);
        EvalReport {
            records: labels.len(),
            accuracy: accuracy(&confusion),
            per_class: per_class(&confusion),
            confusion,
            roc_auc,
            mean_roc_auc,
            predicted,
            confidence,
        }
    }

    /// Indices of the `n` wrong predictions made with the highest confidence, most confident first.
    pub fn confident_mistakes(&self, labels: &[u8], n: usize) -> Vec<usize> {
        let mut wrong: Vec<usize> = (0..self.records)
            .filter(|&i| self.predicted[i] != labels[i])
            .collect();
        wrong.sort_by(|&a, &b| {
            self.confidence[b]
                .total_cmp(&self.confidence[a])
                .then(a.cmp(&b))
        });
        wrong.truncate(n);
        wrong
    }

    /// Indices of the records of true class `truth` predicted as `predicted`.
    pub fn cell(&self, labels: &[u8], truth: usize, predicted: usize) -> Vec<usize> {
        (0..self.records)
            .filter(|&i| labels[i] as usize == truth && self.predicted[i] as usize == predicted)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-12
    }

    #[test]
    fn per_class_metrics_match_a_hand_computation() {
        // Class 0: 8 right, 2 called class 1. Class 1: 5 right, 5 called class 0.
        let mut c = [[0usize; NUM_CLASSES]; NUM_CLASSES];
        c[0][0] = 8;
        c[0][1] = 2;
        c[1][1] = 5;
        c[1][0] = 5;
        let m = per_class(&c);
        // Class 0: precision 8/13, recall 8/10, F1 = 2·(8/13)(8/10)/((8/13)+(8/10)) = 16/23.
        assert!(close(m[0].precision, 8.0 / 13.0));
        assert!(close(m[0].recall, 0.8));
        assert!(close(m[0].f1, 16.0 / 23.0));
        // Class 1: precision 5/7, recall 1/2, F1 = 10/17.
        assert!(close(m[1].f1, 10.0 / 17.0));
        assert_eq!(m[1].support, 10);
        // A class with no records and no predictions.
        assert_eq!(m[5].f1, 0.0);
        assert_eq!(m[5].support, 0);
    }

    #[test]
    fn accuracy_is_the_diagonal_share() {
        let mut c = [[0usize; NUM_CLASSES]; NUM_CLASSES];
        c[0][0] = 3;
        c[1][2] = 1;
        assert_eq!(accuracy(&c), 0.75);
    }

    #[test]
    fn roc_auc_matches_hand_computed_cases() {
        // scikit-learn's documented example: 3 of the 4 (positive, negative) pairs are ordered.
        let auc = roc_auc(&[0.1, 0.4, 0.35, 0.8], &[false, false, true, true]).unwrap();
        assert!(close(auc, 0.75), "{auc}");
        // Perfectly separated, and perfectly reversed.
        assert_eq!(roc_auc(&[0.9, 0.8, 0.1], &[true, true, false]), Some(1.0));
        assert_eq!(roc_auc(&[0.1, 0.2, 0.9], &[true, true, false]), Some(0.0));
        // A tie between a positive and a negative counts one half: pairs (0.5+,0.5-) = ½,
        // (0.5+,0.2-) = 1, (0.7+,0.5-) = 1, (0.7+,0.2-) = 1 → 3.5 / 4.
        let auc = roc_auc(&[0.5, 0.5, 0.2, 0.7], &[true, false, false, true]).unwrap();
        assert!(close(auc, 0.875), "{auc}");
        // Every score equal: chance.
        assert_eq!(roc_auc(&[0.3; 4], &[true, false, true, false]), Some(0.5));
        // Without negatives (or positives) there is no curve.
        assert_eq!(roc_auc(&[0.3, 0.4], &[true, true]), None);
        assert_eq!(roc_auc(&[], &[]), None);
    }

    #[test]
    fn a_report_from_probabilities_matches_a_hand_computation() {
        let row = |c: usize, p: f32| {
            let mut r = [(1.0 - p) / 9.0; NUM_CLASSES];
            r[c] = p;
            r
        };
        // Four records of class 0 and 1: three right, one class-1 record called class 0 at 0.9.
        let labels = [0u8, 0, 1, 1];
        let probabilities = [row(0, 0.8), row(0, 0.6), row(1, 0.7), row(0, 0.9)];
        let report = EvalReport::from_probabilities(&labels, &probabilities);
        assert_eq!(report.records, 4);
        assert_eq!(report.accuracy, 0.75);
        assert_eq!(report.confusion[0][0], 2);
        assert_eq!(report.confusion[1][0], 1);
        assert_eq!(report.confusion[1][1], 1);
        assert_eq!(report.predicted, vec![0, 0, 1, 0]);
        // Class 0: precision 2/3, recall 1. Class 1: precision 1, recall 1/2.
        assert!(close(report.per_class[0].precision, 2.0 / 3.0));
        assert!(close(report.per_class[1].recall, 0.5));
        // Class 0's scores: positives 0.8, 0.6; negatives 0.7/9 ≈ 0.033 and 0.9.
        // Pairs: (0.8 > 0.033), (0.8 < 0.9), (0.6 > 0.033), (0.6 < 0.9) → 2/4.
        assert!(close(report.roc_auc[0].unwrap(), 0.5));
        // Class 1's scores: positives 0.7 and 0.1/9; negatives 0.2/9 and 0.4/9: (0.7 beats both),
        // (0.011 beats neither) → 2/4.
        assert!(close(report.roc_auc[1].unwrap(), 0.5));
        // Classes 2–9 have no records: no curve, and the mean is over classes 0 and 1.
        assert!(report.roc_auc[2..].iter().all(Option::is_none));
        assert!(close(report.mean_roc_auc.unwrap(), 0.5));
        assert_eq!(report.confident_mistakes(&labels, 5), vec![3]);
        assert_eq!(report.cell(&labels, 0, 0), vec![0, 1]);
        assert_eq!(report.cell(&labels, 1, 0), vec![3]);
    }
}
