//! The loss of one batch: the forward pass, label-smoothed cross-entropy and the count of right
//! answers, left on the device. The whole-batch step (`recipe.rs`) and the sliced one
//! (`data_parallel.rs`) both take it from here.

use burn::nn::loss::CrossEntropyLoss;
use burn::tensor::{Device, Int, Tensor};

use crate::data::{IMAGE_BYTES, images_to_tensor, labels_to_tensor};
use crate::model::Classifier;

/// The mean `loss` of `model` on a batch, and how many of it the model classified right (both
/// left on the device, shape `[1]`).
pub(super) fn batch_loss(
    model: &Classifier,
    images: &[[u8; IMAGE_BYTES]],
    labels: &[u8],
    loss: &CrossEntropyLoss,
    device: &Device,
) -> (Tensor<1>, Tensor<1, Int>) {
    let labels = labels_to_tensor(labels.iter().copied(), device);
    let logits = model.forward(images_to_tensor(images.iter(), device));
    let correct = logits
        .clone()
        .argmax(1)
        .flatten::<1>(0, 1)
        .equal(labels.clone())
        .int()
        .sum();
    (loss.forward(logits, labels), correct)
}
