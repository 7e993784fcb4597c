//! Moving a network between devices with asynchronous read-backs. Burn's own `to_device`
//! between backends reads each tensor synchronously, which panics on the browser's WebGPU; this
//! reads every parameter with `into_data_async` first and then rebuilds the network on the target.

use burn::module::{Module, ModuleMapper, ModuleVisitor, Param};
use burn::tensor::{Device, Tensor, TensorData};

use super::Classifier;
use super::readback::{ReadbackError, read_floats};

/// A copy of `model` on `device` (parameter ids kept). Read-backs are awaited one by one.
pub async fn to_device_async(
    model: &Classifier,
    device: &Device,
) -> Result<Classifier, ReadbackError> {
    let mut collect = Flatten::default();
    model.visit(&mut collect);
    let mut values = Vec::with_capacity(collect.tensors.len());
    for tensor in collect.tensors {
        values.push(read_floats(tensor, "a parameter").await?);
    }
    let mut place = Place {
        values: values.into_iter(),
        device: device.clone(),
    };
    Ok(model.clone().map(&mut place))
}

/// Every float parameter (and running statistic), flattened, in visiting order.
#[derive(Default)]
struct Flatten {
    tensors: Vec<Tensor<1>>,
}

impl ModuleVisitor for Flatten {
    fn visit_float<const D: usize>(&mut self, param: &Param<Tensor<D>>) {
        let tensor = param.val();
        let len = tensor.shape().num_elements();
        self.tensors.push(tensor.reshape([len]));
    }
}

/// Replaces each float parameter, in the same order, with the values read back.
struct Place {
    values: std::vec::IntoIter<Vec<f32>>,
    device: Device,
}

impl ModuleMapper for Place {
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let values = self
            .values
            .next()
            .expect("the mapper visits the parameters the visitor collected");
        let device = self.device.clone();
        param.map(|tensor| {
            let data = TensorData::new(values, tensor.shape());
            Tensor::from_data(data, &device)
        })
    }
}
