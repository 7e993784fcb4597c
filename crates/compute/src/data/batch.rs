//! Turning records and preprocessed images into tensors.

use burn::tensor::{Device, Int, Tensor, TensorData};

use super::{IMAGE_BYTES, IMAGE_SIDE};

/// Planar RGB bytes of `n` images → a `[n, 3, 32, 32]` float tensor in `[0, 1]`.
/// The model normalises by the dataset statistics itself.
pub fn images_to_tensor<'a>(
    images: impl IntoIterator<Item = &'a [u8; IMAGE_BYTES]>,
    device: &Device,
) -> Tensor<4> {
    let mut values = Vec::new();
    let mut count = 0;
    for image in images {
        values.extend(image.iter().map(|&b| b as f32 / 255.0));
        count += 1;
    }
    Tensor::from_data(
        TensorData::new(values, [count, 3, IMAGE_SIDE, IMAGE_SIDE]),
        device,
    )
}

/// Labels → a `[n]` int tensor.
pub fn labels_to_tensor(labels: impl IntoIterator<Item = u8>, device: &Device) -> Tensor<1, Int> {
    let labels: Vec<i64> = labels.into_iter().map(i64::from).collect();
    let n = labels.len();
    Tensor::from_data(TensorData::new(labels, [n]), device)
}
