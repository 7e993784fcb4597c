//! Running a network over labelled records. The read-backs are asynchronous (the browser's
//! WebGPU cannot block); natively the sync wrappers simply wait for them.

use burn::tensor::activation::softmax;
use burn::tensor::{Device, Tensor};

use super::Confusion;
use crate::data::{CifarRecord, IMAGE_BYTES, NUM_CLASSES, images_to_tensor};
use crate::model::{Classifier, ReadbackError, read_floats, read_ints};

/// Class probabilities of one batch: without and (when asked) with flip/shift TTA.
pub struct EvalBatch {
    pub plain: Vec<[f32; NUM_CLASSES]>,
    pub tta: Option<Vec<[f32; NUM_CLASSES]>>,
}

/// `confusion[true][predicted]` over `records`, in batches; `tta` averages the logits over
/// flipped and shifted copies ([`Classifier::forward_tta`]).
pub fn confusion_matrix(
    model: &Classifier,
    records: &[CifarRecord],
    batch_size: usize,
    tta: bool,
    device: &Device,
) -> Result<Confusion, ReadbackError> {
    futures::executor::block_on(confusion_matrix_async(
        model, records, batch_size, tta, device,
    ))
}

/// [`confusion_matrix`] with asynchronous read-backs.
pub async fn confusion_matrix_async(
    model: &Classifier,
    records: &[CifarRecord],
    batch_size: usize,
    tta: bool,
    device: &Device,
) -> Result<Confusion, ReadbackError> {
    let mut confusion = [[0usize; NUM_CLASSES]; NUM_CLASSES];
    for chunk in records.chunks(batch_size.max(1)) {
        let images = images_to_tensor(chunk.iter().map(|r| &*r.pixels), device);
        let logits = if tta {
            model.forward_tta(images)
        } else {
            model.forward(images)
        };
        let predicted = read_ints(logits.argmax(1).flatten::<1>(0, 1), "the predictions").await?;
        for (record, class) in chunk.iter().zip(predicted) {
            confusion[record.label as usize][class as usize] += 1;
        }
    }
    Ok(confusion)
}

/// Softmax probabilities of every record (and with TTA when `tta`), in batches.
pub fn class_probabilities(
    model: &Classifier,
    records: &[CifarRecord],
    batch_size: usize,
    tta: bool,
    device: &Device,
) -> Result<EvalBatch, ReadbackError> {
    let mut all = EvalBatch {
        plain: Vec::with_capacity(records.len()),
        tta: tta.then(|| Vec::with_capacity(records.len())),
    };
    for chunk in records.chunks(batch_size.max(1)) {
        let batch =
            futures::executor::block_on(class_probabilities_async(model, chunk, tta, device))?;
        all.plain.extend(batch.plain);
        if let (Some(all), Some(batch)) = (all.tta.as_mut(), batch.tta) {
            all.extend(batch);
        }
    }
    Ok(all)
}

/// One batch of [`class_probabilities`], read back asynchronously.
pub async fn class_probabilities_async(
    model: &Classifier,
    records: &[CifarRecord],
    tta: bool,
    device: &Device,
) -> Result<EvalBatch, ReadbackError> {
    image_probabilities_async(model, records.iter().map(|r| &*r.pixels), tta, device).await
}

/// [`class_probabilities_async`] of bare images (a CPU worker's slice of an evaluation).
pub async fn image_probabilities_async<'a>(
    model: &Classifier,
    images: impl IntoIterator<Item = &'a [u8; IMAGE_BYTES]>,
    tta: bool,
    device: &Device,
) -> Result<EvalBatch, ReadbackError> {
    let images = images_to_tensor(images, device);
    let logits = model.forward(images.clone());
    let tta = if tta {
        let tta = model.forward_tta_from(logits.clone(), images);
        Some(read_probabilities(tta).await?)
    } else {
        None
    };
    let plain = read_probabilities(logits).await?;
    Ok(EvalBatch { plain, tta })
}

async fn read_probabilities(logits: Tensor<2>) -> Result<Vec<[f32; NUM_CLASSES]>, ReadbackError> {
    let values = read_floats(softmax(logits, 1), "the probabilities").await?;
    Ok(values
        .chunks_exact(NUM_CLASSES)
        .map(|row| row.try_into().expect("rows of NUM_CLASSES"))
        .collect())
}
