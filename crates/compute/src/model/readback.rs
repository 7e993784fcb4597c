//! Reading tensors back from the device. Always asynchronous: a synchronous read panics on the
//! browser's WebGPU; natively the callers simply `block_on` these.

use burn::tensor::{Int, Tensor};

/// A tensor that could not be read back, or whose values were not of the expected type.
#[derive(Debug, thiserror::Error)]
#[error("{what} could not be read back from the device ({reason})")]
pub struct ReadbackError {
    /// What was being read, e.g. "the logits".
    pub what: String,
    pub reason: String,
}

fn failed(what: &str, reason: impl std::fmt::Debug) -> ReadbackError {
    ReadbackError {
        what: what.to_string(),
        reason: format!("{reason:?}"),
    }
}

/// The values of a float tensor, flattened in row-major order.
pub async fn read_floats<const D: usize>(
    tensor: Tensor<D>,
    what: &str,
) -> Result<Vec<f32>, ReadbackError> {
    tensor
        .into_data_async()
        .await
        .map_err(|e| failed(what, e))?
        .try_to_vec::<f32>()
        .map_err(|e| failed(what, e))
}

/// The values of an integer tensor (of whatever integer type the backend uses), as `i64`.
pub async fn read_ints<const D: usize>(
    tensor: Tensor<D, Int>,
    what: &str,
) -> Result<Vec<i64>, ReadbackError> {
    tensor
        .into_data_async()
        .await
        .map_err(|e| failed(what, e))?
        .convert::<i64>()
        .try_to_vec::<i64>()
        .map_err(|e| failed(what, e))
}

/// The first value of a float tensor (a loss, a count).
pub async fn read_scalar<const D: usize>(
    tensor: Tensor<D>,
    what: &str,
) -> Result<f32, ReadbackError> {
    read_floats(tensor, what)
        .await?
        .first()
        .copied()
        .ok_or_else(|| failed(what, "no values"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::{Device, TensorData};

    #[test]
    fn reads_floats_and_ints_back() {
        let device = Device::flex();
        let floats = Tensor::<2>::from_data(
            TensorData::new(vec![1.5f32, -2.0, 3.0, 4.0], [2, 2]),
            &device,
        );
        let values = futures::executor::block_on(read_floats(floats.clone(), "x")).unwrap();
        assert_eq!(values, vec![1.5, -2.0, 3.0, 4.0]);
        let argmax = floats.argmax(1).flatten::<1>(0, 1);
        let ints = futures::executor::block_on(read_ints(argmax, "argmax")).unwrap();
        assert_eq!(ints, vec![0, 1]);
        let empty = Tensor::<1>::from_data(TensorData::new(Vec::<f32>::new(), [0]), &device);
        let error = futures::executor::block_on(read_scalar(empty, "the loss")).unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("the loss could not be read back"),
            "{error}"
        );
    }
}
