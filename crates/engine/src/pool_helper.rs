//! A helper worker of the CPU pool (`cpu_pool.rs`): its own wasm instance of the engine that
//! holds the coordinator's network and classifies images or computes logits on request.

use burn::tensor::Device;
use futures::StreamExt;
use futures::channel::mpsc;
use wasm_bindgen::prelude::*;
use web_sys::{DedicatedWorkerGlobalScope, MessageEvent};

use super::EngineError;
use super::backend;
use super::inference::Inference;
use super::worker::post_message;
use pinhole_compute::data::{IMAGE_SIDE, PlanarImages};
use pinhole_compute::model::packed::Activations;
use pinhole_compute::model::{
    Classifier, FoldedClassifier, PackedAirbench, Preset, load_any_network,
};
use pinhole_compute::train::{
    image_probabilities_async, network_state, slice_gradients, with_network_state,
};
use pinhole_core::protocol::{
    HelperReply, HelperRequest, SliceProbabilities, WireSlice, bytes_f32, f32_bytes,
};

/// The name the coordinator gives its helpers' `Worker`s (how the entry point tells them apart).
pub const HELPER_NAME: &str = "pinhole-cpu-helper";

/// The network a helper holds, in every form inference needs.
struct Held {
    generation: u64,
    model: Classifier,
    folded: FoldedClassifier,
    packed: PackedAirbench,
    classes: Vec<String>,
    device: Device,
}

impl Held {
    fn load(generation: u64, name: &str, weights: &[u8]) -> Result<Self, EngineError> {
        let cpu = backend::cpu();
        let network = load_any_network(weights, name, &cpu)?;
        let folded = FoldedClassifier::fold(&network.model, &cpu, &cpu);
        let packed = folded.pack().ok_or_else(|| {
            EngineError::Unavailable(format!("{name}: the CPU kernels do not run this network"))
        })??;
        Ok(Held {
            generation,
            model: network.model,
            folded,
            packed,
            classes: network.classes,
            device: cpu,
        })
    }

    fn inference(&self) -> Inference<'_> {
        Inference {
            model: &self.model,
            folded: &self.folded,
            packed: Some(&self.packed),
            classes: &self.classes,
            device: &self.device,
        }
    }
}

pub fn run_helper() {
    std::panic::set_hook(Box::new(|info| {
        post_message(&HelperReply::Died {
            message: info.to_string(),
        });
    }));
    let scope: DedicatedWorkerGlobalScope = js_sys::global().unchecked_into();
    let (sender, receiver) = mpsc::unbounded::<HelperRequest>();
    let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
        match serde_wasm_bindgen::from_value::<HelperRequest>(event.data()) {
            Ok(request) => {
                let _ = sender.unbounded_send(request);
            }
            Err(e) => web_sys::console::error_1(
                &format!("CPU helper got a malformed request: {e}").into(),
            ),
        }
    });
    scope.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    on_message.forget();
    wasm_bindgen_futures::spawn_local(serve(receiver));
    post_message(&HelperReply::Alive);
}

async fn serve(mut requests: mpsc::UnboundedReceiver<HelperRequest>) {
    let mut held: Option<Held> = None;
    // The network a training run's slices are computed with (autodiff, on the CPU).
    let mut trainee: Option<(Preset, Classifier)> = None;
    while let Some(request) = requests.next().await {
        let reply = match request {
            HelperRequest::Load {
                generation,
                name,
                weights,
            } => {
                // The old network goes first: two at once may not fit.
                held = None;
                let problem = match Held::load(generation, &name, &weights) {
                    Ok(network) => {
                        held = Some(network);
                        None
                    }
                    Err(e) => Some(e.to_string()),
                };
                HelperReply::Loaded {
                    generation,
                    problem,
                    memory_bytes: memory_bytes(),
                }
            }
            HelperRequest::Classify {
                job,
                generation,
                name,
                bytes,
            } => match &held {
                Some(network) if network.generation == generation => HelperReply::Classified {
                    job,
                    outcome: network
                        .inference()
                        .classify(name, &bytes)
                        .await
                        .map_err(Into::into),
                },
                _ => HelperReply::Stale { job },
            },
            HelperRequest::Logits {
                job,
                generation,
                images,
            } => match &held {
                Some(network) if network.generation == generation => HelperReply::Logits {
                    job,
                    logits: Ok(wire_floats(planar_logits(&network.packed, &images))),
                },
                _ => HelperReply::Stale { job },
            },
            HelperRequest::Features {
                job,
                generation,
                images,
            } => match &held {
                Some(network) if network.generation == generation => HelperReply::Features {
                    job,
                    features: Ok(wire_floats(planar_features(&network.packed, &images))),
                },
                _ => HelperReply::Stale { job },
            },
            HelperRequest::Probabilities {
                job,
                generation,
                images,
                tta,
            } => match &held {
                Some(network) if network.generation == generation => HelperReply::Probabilities {
                    job,
                    probabilities: slice_probabilities(
                        &network.model,
                        &images,
                        tta,
                        &network.device,
                    )
                    .await,
                },
                _ => HelperReply::Stale { job },
            },
            HelperRequest::TrainSlice {
                job,
                preset,
                state,
                trained,
                images,
                labels,
                slices,
                label_smoothing,
            } => HelperReply::TrainedSlice {
                job,
                slices: train_slices(
                    &mut trainee,
                    preset,
                    &state,
                    &trained,
                    TrainBatch {
                        images: &images,
                        labels: &labels,
                        slices: &slices,
                    },
                    label_smoothing,
                )
                .await,
            },
            HelperRequest::Crash => panic!("a CPU helper was told to crash (test fault)"),
        };
        post_message(&reply);
    }
}

/// A helper's share of a training batch as it arrived.
struct TrainBatch<'a> {
    images: &'a PlanarImages,
    labels: &'a [u8],
    /// Records per ghost batch, one after another.
    slices: &'a [u32],
}

/// Ghost batches of a data-parallel training step: the coordinator's network state placed in
/// this helper's own network, each slice's gradients computed from that state (batch norm's
/// running statistics change with every forward pass, so the state is placed again each time).
async fn train_slices(
    trainee: &mut Option<(Preset, Classifier)>,
    preset: Preset,
    state: &[u8],
    trained: &[bool],
    batch: TrainBatch<'_>,
    label_smoothing: f32,
) -> Result<Vec<WireSlice>, String> {
    let device = backend::cpu().autodiff();
    let mut model = match trainee.take() {
        Some((p, model)) if p == preset => model,
        _ => Classifier::new(preset, &device),
    };
    let values = bytes_f32(state).ok_or("a network state of whole f32 values")?;
    let images = batch.images.images();
    let total: usize = batch.slices.iter().map(|&n| n as usize).sum();
    if total != images.len() || total != batch.labels.len() {
        return Err(format!(
            "slices of {total} records for {} images and {} labels",
            images.len(),
            batch.labels.len()
        ));
    }
    let mut out = Vec::with_capacity(batch.slices.len());
    let mut start = 0;
    let mut held: Option<String> = None;
    for &len in batch.slices {
        let range = start..start + len as usize;
        start = range.end;
        model = with_network_state(model, &values, trained, &device).map_err(|e| e.to_string())?;
        // What this helper holds, hashed once (each slice places the same state): the
        // coordinator checks it is what it sent.
        let digest = match &held {
            Some(digest) => digest.clone(),
            None => {
                let state = network_state(&model).await.map_err(|e| e.to_string())?;
                held.insert(state_digest(&f32_bytes(&state))).clone()
            }
        };
        let slice = slice_gradients(
            &model,
            &images[range.clone()],
            &batch.labels[range],
            label_smoothing,
            &device,
        )
        .await
        .map_err(|e| e.to_string())?;
        out.push(WireSlice {
            records: slice.records,
            loss_sum: slice.loss_sum,
            correct: slice.correct,
            values: f32_bytes(&slice.values),
            state_digest: digest,
        });
    }
    *trainee = Some((preset, model));
    Ok(out)
}

/// Values as the bytes a reply carries them in.
fn wire_floats(values: Vec<f32>) -> serde_bytes::ByteBuf {
    serde_bytes::ByteBuf::from(f32_bytes(&values))
}

/// SHA-256 (first 16 hex digits) of a network state's bytes: the coordinator compares the
/// state a helper held with the one it sent.
pub fn state_digest(state: &[u8]) -> String {
    use sha2::Digest;
    let hash = sha2::Sha256::digest(state);
    hash.iter().take(8).map(|b| format!("{b:02x}")).collect()
}

/// The images as the packed kernels read them.
fn planar_activations(images: &PlanarImages) -> Activations {
    Activations::from_planar_rgb(images.images().iter().map(|i| i.as_slice()), IMAGE_SIDE)
}

/// The packed network's logits of `images`.
pub fn planar_logits(packed: &PackedAirbench, images: &PlanarImages) -> Vec<f32> {
    packed.logits(&planar_activations(images))
}

/// The packed backbone's pooled features of `images` (`packed.feature_width()` per image).
pub fn planar_features(packed: &PackedAirbench, images: &PlanarImages) -> Vec<f32> {
    packed.features(&planar_activations(images))
}

/// Class probabilities of CIFAR-10 images, as an evaluation's batches compute them.
pub async fn slice_probabilities(
    model: &Classifier,
    images: &PlanarImages,
    tta: bool,
    device: &Device,
) -> Result<SliceProbabilities, String> {
    let batch = image_probabilities_async(model, images.images(), tta, device)
        .await
        .map_err(|e| e.to_string())?;
    Ok(SliceProbabilities {
        plain: batch.plain.concat(),
        tta: batch.tta.map(|rows| rows.concat()),
    })
}

/// This instance's WebAssembly memory.
pub fn memory_bytes() -> u64 {
    wasm_bindgen::memory()
        .unchecked_into::<js_sys::WebAssembly::Memory>()
        .buffer()
        .unchecked_into::<js_sys::ArrayBuffer>()
        .byte_length() as u64
}
