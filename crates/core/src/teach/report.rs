//! What teaching measured: the loss and held-out accuracy as the head trained, each class's
//! held-out score, the confusion matrix, the time spent, and warnings (too few samples).

use serde::{Deserialize, Serialize};

/// One point of the curve.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TeachPoint {
    pub step: usize,
    /// Mean cross-entropy on the training views.
    pub loss: f32,
    /// Held-out accuracy in `[0, 1]`; `None` when nothing is held out.
    pub held_out_accuracy: Option<f32>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ClassScore {
    pub name: String,
    /// Samples that trained the head (before views).
    pub trained: usize,
    /// Samples kept out, and how many of them the head got right.
    pub held_out: usize,
    pub correct: usize,
}

impl ClassScore {
    pub fn accuracy(&self) -> Option<f32> {
        (self.held_out > 0).then(|| self.correct as f32 / self.held_out as f32)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct TeachReport {
    pub backbone: String,
    pub classes: Vec<ClassScore>,
    /// `confusion[truth][predicted]` over the held-out samples.
    pub confusion: Vec<Vec<usize>>,
    pub curve: Vec<TeachPoint>,
    /// Training views (samples × views) the head saw.
    pub views: usize,
    pub feature_ms: f64,
    /// What computed the features ("Burn", "the CPU kernels on 2 workers"); empty in projects
    /// saved before it was kept.
    #[serde(default)]
    pub features_by: String,
    pub head_ms: f64,
    pub warnings: Vec<String>,
}

impl TeachReport {
    /// Held-out accuracy over all classes, if anything was held out.
    pub fn held_out_accuracy(&self) -> Option<f32> {
        let held: usize = self.classes.iter().map(|c| c.held_out).sum();
        let correct: usize = self.classes.iter().map(|c| c.correct).sum();
        (held > 0).then(|| correct as f32 / held as f32)
    }

    pub fn final_loss(&self) -> Option<f32> {
        self.curve.last().map(|p| p.loss)
    }
}
