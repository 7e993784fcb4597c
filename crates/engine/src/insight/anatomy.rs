//! The network layer by layer on one image: the architecture table, each layer's first feature
//! maps, the first layer's filters and the prediction.

use burn::tensor::Device;

use crate::EngineError;
use pinhole_compute::data::{IMAGE_BYTES, images_to_tensor};
use pinhole_compute::model::{Classifier, read_floats, top_k};
use pinhole_compute::vision::{feature_mosaic, filter_mosaic, planar_png};
use pinhole_core::protocol::{Anatomy, LayerView};

/// Feature maps shown per layer.
const MAPS_SHOWN: usize = 16;

/// The anatomy of `model` on one image.
pub async fn inspect(
    model: &Classifier,
    device: &Device,
    image_name: String,
    pixels: &[u8; IMAGE_BYTES],
) -> Result<Anatomy, EngineError> {
    let traces = model.trace(images_to_tensor([pixels], device));
    let total_parameters = traces.iter().map(|t| t.parameters).sum();
    let mut layers = Vec::with_capacity(traces.len());
    let mut logits = Vec::new();
    for trace in traces {
        let (mut maps, mut maps_shown, mut maps_columns) = (Vec::new(), 0, 0);
        if let [channels, height, width] = trace.shape[..]
            && height > 1
        {
            let shown = channels.min(MAPS_SHOWN);
            let what = format!("the {} maps", trace.name);
            let values = read_floats(trace.output.narrow(1, 0, shown), &what).await?;
            let mosaic = feature_mosaic(&values, shown, height, width, shown);
            (maps, maps_shown, maps_columns) = (mosaic.png, mosaic.tiles, mosaic.columns);
        } else if trace.shape == [model.num_classes()] {
            logits = read_floats(trace.output, "the logits").await?;
        }
        layers.push(LayerView {
            name: trace.name,
            detail: trace.detail,
            parameters: trace.parameters,
            shape: trace.shape,
            maps,
            maps_shown,
            maps_columns,
        });
    }
    let first = model.first_layer();
    let [filters, _, height, width] = first.weights.dims();
    let weights = read_floats(first.weights, "the filters").await?;
    let mosaic = filter_mosaic(&weights, filters, height, width);
    let top = top_k(&logits, 1)
        .into_iter()
        .next()
        .ok_or_else(|| EngineError::Device("the network gave no logits".into()))?;
    Ok(Anatomy {
        preset: model.preset(),
        image_name,
        image_png: planar_png(pixels),
        layers,
        total_parameters,
        first_layer: first.name,
        filters: mosaic.png,
        filters_shown: mosaic.tiles,
        filters_columns: mosaic.columns,
        filter_size: [height, width],
        predicted: top.class_index,
        confidence: top.probability,
    })
}
