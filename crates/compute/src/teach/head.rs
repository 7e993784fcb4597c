//! A new linear head fitted to frozen features: softmax regression, full batch, Adam, with the
//! gradient written out (two matrix products a step), on whatever device holds the features.
//! Features are divided by their root-mean-square first (a better-conditioned problem); the
//! division is folded back into the weights, so the head reads raw features like the old one.

use burn::tensor::activation::{log_softmax, softmax};
use burn::tensor::{Int, Tensor, TensorData};

use super::TeachPoint;
use super::TeachSettings;
use crate::model::{ReadbackError, read_ints, read_scalar};

/// How often (in steps) the loss and held-out accuracy are read back: about 30 points a run.
fn report_every(steps: usize) -> usize {
    steps.div_ceil(30).max(1)
}

/// The fitted head: `weight` is `[features, classes]` for raw (unscaled) features and a head
/// whose output is multiplied by `head_scale`.
pub struct HeadFit {
    pub weight: Tensor<2>,
    pub curve: Vec<TeachPoint>,
    /// Held-out predictions of the final head, in the order of the held-out labels.
    pub held_out_predictions: Vec<usize>,
}

/// Fits `[n, F]` training features with `labels` (each `< classes`); `held_out` features and
/// labels are scored at each report. `on_point` sees each point as it is measured.
pub async fn fit_head(
    features: Tensor<2>,
    labels: &[usize],
    classes: usize,
    held_out: Option<(Tensor<2>, &[usize])>,
    head_scale: f64,
    settings: &TeachSettings,
    mut on_point: impl FnMut(&TeachPoint),
) -> Result<HeadFit, ReadbackError> {
    let device = features.device();
    let [n, width] = features.dims();
    // Per-feature root-mean-square over the training views (a dead feature stays 0).
    let rms = features
        .clone()
        .powi_scalar(2)
        .mean_dim(0)
        .sqrt()
        .add_scalar(1e-6);
    let x = features / rms.clone();
    let held_out = held_out.map(|(f, labels)| (f / rms.clone(), labels));
    let mut one_hot = vec![0f32; n * classes];
    for (i, &label) in labels.iter().enumerate() {
        one_hot[i * classes + label] = 1.0;
    }
    let y = Tensor::<2>::from_data(TensorData::new(one_hot, [n, classes]), &device);
    let xt = x.clone().transpose();

    let (beta1, beta2, eps) = (0.9f64, 0.999f64, 1e-8f64);
    let mut v = Tensor::<2>::zeros([width, classes], &device);
    let mut m1 = v.clone();
    let mut m2 = v.clone();
    let mut curve = Vec::new();
    let every = report_every(settings.steps);
    for step in 1..=settings.steps {
        let logits = x.clone().matmul(v.clone());
        let error = softmax(logits.clone(), 1) - y.clone();
        let grad = xt.clone().matmul(error).div_scalar(n as f64)
            + v.clone().mul_scalar(settings.weight_decay);
        m1 = m1.mul_scalar(beta1) + grad.clone().mul_scalar(1.0 - beta1);
        m2 = m2.mul_scalar(beta2) + grad.powi_scalar(2).mul_scalar(1.0 - beta2);
        let lr = settings.learning_rate * (1.0 - beta2.powi(step as i32)).sqrt()
            / (1.0 - beta1.powi(step as i32));
        v = v - (m1.clone() / m2.clone().sqrt().add_scalar(eps)).mul_scalar(lr);
        if step % every == 0 || step == settings.steps {
            let loss = -(log_softmax(logits, 1) * y.clone())
                .sum()
                .div_scalar(n as f64);
            let loss = read_scalar(loss, "the head's loss").await?;
            let held_out_accuracy = match &held_out {
                Some((f, labels)) => {
                    let predicted = predictions(f.clone().matmul(v.clone())).await?;
                    Some(accuracy(&predicted, labels))
                }
                None => None,
            };
            let point = TeachPoint {
                step,
                loss,
                held_out_accuracy,
            };
            on_point(&point);
            curve.push(point);
        }
    }
    let held_out_predictions = match &held_out {
        Some((f, _)) => predictions(f.clone().matmul(v.clone())).await?,
        None => Vec::new(),
    };
    // logits = (x / rms)·v = x·(v / rms) = head_scale · x·weight.
    let weight = (v / rms.reshape([width, 1])).div_scalar(head_scale);
    Ok(HeadFit {
        weight,
        curve,
        held_out_predictions,
    })
}

async fn predictions(logits: Tensor<2>) -> Result<Vec<usize>, ReadbackError> {
    let classes: Tensor<2, Int> = logits.argmax(1);
    Ok(read_ints(classes, "the held-out predictions")
        .await?
        .into_iter()
        .map(|c| c as usize)
        .collect())
}

fn accuracy(predicted: &[usize], labels: &[usize]) -> f32 {
    let right = predicted.iter().zip(labels).filter(|(p, l)| p == l).count();
    right as f32 / labels.len().max(1) as f32
}
