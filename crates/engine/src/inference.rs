//! Inference with the classifier's network: an uploaded image, a saliency map, a camera frame.

use burn::tensor::Device;

use super::EngineError;
use super::worker::now_ms;
use pinhole_compute::data::{IMAGE_BYTES, IMAGE_SIDE, images_to_tensor};
use pinhole_compute::model::packed::Activations;
use pinhole_compute::model::{
    Classifier, FoldedClassifier, PackedAirbench, SaliencyMethod, read_floats, saliency,
    top_k_named,
};
use pinhole_compute::vision::{preprocess, preprocess_rgba};
use pinhole_core::protocol::{Heatmap, Reply};

/// The network and where it runs, borrowed from the engine's models for one request.
pub struct Inference<'a> {
    pub model: &'a Classifier,
    /// `model` folded: the logits without gradients.
    pub folded: &'a FoldedClassifier,
    /// `folded` on the CPU's packed kernels, where it runs instead (same logits to 1e-4).
    pub packed: Option<&'a PackedAirbench>,
    /// Its class names, one per output.
    pub classes: &'a [String],
    pub device: &'a Device,
}

impl Inference<'_> {
    /// Decodes and classifies an image file (`Reply::Classified`).
    pub async fn classify(&self, name: String, bytes: &[u8]) -> Result<Reply, EngineError> {
        let start = now_ms();
        let input = preprocess(bytes, &name)?;
        let logits = self.logits(&name, &input.pixels).await?;
        Ok(Reply::Classified {
            top: top_k_named(&logits, 5, self.classes),
            logits,
            input_png: input.to_png(),
            pixels: input.pixels.to_vec(),
            width: input.original_width,
            height: input.original_height,
            millis: now_ms() - start,
            name,
        })
    }

    /// A saliency map of a 32×32 planar RGB image; `class` defaults to the top prediction.
    pub async fn explain(
        &self,
        pixels: &[u8],
        class: Option<usize>,
        method: SaliencyMethod,
    ) -> Result<Reply, EngineError> {
        let pixels: &[u8; IMAGE_BYTES] = pixels.try_into().map_err(|_| {
            EngineError::InvalidRequest(format!(
                "saliency needs a 32×32 RGB image ({IMAGE_BYTES} bytes), got {} bytes",
                pixels.len()
            ))
        })?;
        let class = match class {
            Some(class) if class < self.classes.len() => class,
            Some(class) => {
                return Err(EngineError::InvalidRequest(format!(
                    "there is no class {class} to explain"
                )));
            }
            None => {
                top_k_named(&self.logits("the image", pixels).await?, 1, self.classes)[0]
                    .class_index
            }
        };
        let heatmap = self.heatmap(pixels, class, method).await?;
        Ok(Reply::Explained { heatmap })
    }

    /// One camera frame: preprocess, classify, and explain the top class when asked.
    pub async fn frame(
        &self,
        width: u32,
        height: u32,
        rgba: Vec<u8>,
        method: Option<SaliencyMethod>,
    ) -> Result<Reply, EngineError> {
        let start = now_ms();
        let input = preprocess_rgba(width, height, rgba, "camera frame")?;
        let top = top_k_named(
            &self.logits("the camera frame", &input.pixels).await?,
            3,
            self.classes,
        );
        let heatmap = match method {
            Some(method) => Some(
                self.heatmap(&input.pixels, top[0].class_index, method)
                    .await?,
            ),
            None => None,
        };
        Ok(Reply::FrameClassified {
            top,
            input_rgba: input.to_rgba(),
            heatmap,
            millis: now_ms() - start,
        })
    }

    /// One image's logits; `name` names the image in errors.
    async fn logits(
        &self,
        name: &str,
        pixels: &[u8; IMAGE_BYTES],
    ) -> Result<Vec<f32>, EngineError> {
        if let Some(packed) = self.packed {
            let images = Activations::from_planar_rgb([&pixels[..]].into_iter(), IMAGE_SIDE);
            return Ok(packed.logits(&images));
        }
        let images = images_to_tensor([pixels], self.device);
        let what = format!("the logits of {name}");
        Ok(read_floats(self.folded.forward(images), &what).await?)
    }

    async fn heatmap(
        &self,
        pixels: &[u8; IMAGE_BYTES],
        class: usize,
        method: SaliencyMethod,
    ) -> Result<Heatmap, EngineError> {
        let start = now_ms();
        let image = images_to_tensor([pixels], self.device);
        let map = saliency(self.model, image, class, method).mul_scalar(255.0);
        let values = read_floats(map, &format!("the {} map", method.label())).await?;
        Ok(Heatmap {
            class,
            method,
            values: values
                .iter()
                .map(|v| v.round().clamp(0.0, 255.0) as u8)
                .collect(),
            millis: now_ms() - start,
        })
    }
}
