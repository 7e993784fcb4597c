//! The engine's models: the device and backend, the shipped weights, and the classifier's network
//! with its weights file and card. Everything that changes which network classifies, or where
//! it runs, goes through here, and each change is pushed to the page (`Backend`, `Model`).
//!
//! `mod.rs`: which network classifies (start, select, import, use trained, Teach backbones);
//! `devices.rs`: where it runs (the backend switch and the automatic choice's moves).

mod devices;

use burn::module::Module;
use burn::tensor::Device;

use crate::EngineError;
use crate::backend::{self, INIT_SEED};
use crate::fetch::fetch_bytes;
use crate::shipped::ShippedIndex;
use crate::worker::{Reporter, post};
use pinhole_compute::model::class_names::{cifar_class_names, is_cifar};
use pinhole_compute::model::{
    Classifier, FoldedClassifier, Network, PackedAirbench, Precision, Preset, load_any_network,
    load_any_weights, save_network_as, save_network_safetensors, to_device_async,
};
use pinhole_core::protocol::{
    AutoChoice, BackendKind, BackendStatus, Event, KeptNetwork, MAX_WEIGHTS_FILE_BYTES, ModelCard,
    ModelInfo, Restore, WeightsFormat,
};

/// The networks the engine holds (the classifier's, its card, the Teach backbones) and the
/// devices they run on. ("Store" in Pinhole means IndexedDB: `checkpoint_store.rs`.)
pub struct Models {
    /// Where the classifier's network runs (`status.kind`).
    pub device: Device,
    /// Where training and evaluation run (`status.training`).
    pub training_device: Device,
    pub status: BackendStatus,
    /// The WebGPU device once acquired and self-tested; `Err` holds why it is unusable.
    webgpu: Option<Result<Device, String>>,
    shipped: ShippedIndex,
    pub preset: Preset,
    /// The weights file and its bytes, kept so a backend switch can rebuild the model.
    weights: Option<(String, Vec<u8>)>,
    /// What is known about the weights (the About page).
    card: ModelCard,
    /// Why the network is not the one asked for.
    notice: Option<String>,
    pub model: Classifier,
    /// `model` folded for inference (same logits, less work): classify, camera, benchmark.
    pub folded: FoldedClassifier,
    /// `folded` packed for the CPU's own kernels, when on the CPU (airbench presets).
    pub packed: Option<PackedAirbench>,
    /// Counts the networks that became the classifier's (the CPU pool copies each one).
    pub generation: u64,
    /// The names of the network's classes (CIFAR-10's unless a taught network is in use).
    pub classes: Vec<String>,
    /// Shipped CIFAR-10 networks on the current device, kept as Teach backbones.
    backbones: Vec<(Preset, Classifier)>,
}

const CPU_DETAIL: &str = "Burn flex (WebAssembly SIMD)";

impl Models {
    /// The backend, then the default shipped network. `requested` WebGPU waits for its
    /// self-test (the CPU if it fails); with no request the engine starts on the CPU at once and
    /// `status.auto` is pending: the dispatcher checks and times WebGPU in the background
    /// (`auto_backend.rs`). `notice` (from the UI, e.g. why the engine was restarted) wins over
    /// the engine's own.
    pub async fn start(
        requested: Option<BackendKind>,
        notice: Option<String>,
        restore: Box<Restore>,
        reporter: Reporter,
    ) -> Self {
        let cpu = backend::cpu();
        let initial = Classifier::new(Preset::Fast, &cpu);
        let mut models = Models {
            device: cpu.clone(),
            training_device: cpu.clone(),
            status: BackendStatus {
                kind: BackendKind::Cpu,
                training: BackendKind::Cpu,
                detail: CPU_DETAIL.into(),
                notice: None,
                auto: None,
            },
            webgpu: None,
            shipped: ShippedIndex::default(),
            preset: Preset::Fast,
            weights: None,
            card: ModelCard::default(),
            notice: None,
            // The folded form of this same network (two `new` calls would draw different weights).
            folded: FoldedClassifier::fold(&initial, &cpu, &cpu),
            packed: None,
            generation: 0,
            model: initial,
            classes: cifar_class_names(),
            backbones: Vec::new(),
        };
        match requested {
            Some(BackendKind::WebGpu) => {
                reporter.step("Checking WebGPU…", 0, 0);
                models.use_backend(BackendKind::WebGpu).await;
            }
            Some(BackendKind::Cpu) => {}
            None if !backend::has_navigator_gpu() => {
                // Nothing to check: the reason is shown at once.
                models.use_backend(BackendKind::WebGpu).await;
            }
            None => {
                models.status.auto = Some(AutoChoice {
                    pending: true,
                    ..AutoChoice::default()
                });
            }
        }
        if notice.is_some() {
            models.status.notice = notice;
        }
        models.post_backend();
        let index = ShippedIndex::fetch().await;
        let problem = index.as_ref().err().map(|e| {
            format!("Could not read the list of shipped weights ({e}); the model is untrained.")
        });
        models.shipped = index.unwrap_or_default();
        let preset = restore
            .preset
            .filter(|p| models.shipped.get(*p).is_some())
            .unwrap_or_else(|| models.shipped.default_preset());
        // A failure is in the model's notice; the engine starts all the same.
        let _ = models.select(preset, reporter).await;
        // The visitor's own network from the engine that stopped, if it still loads.
        if let Some(kept) = restore.network {
            let KeptNetwork { name, bytes, card } = kept;
            match models.import(name, bytes) {
                Ok(()) => {
                    models.card = card;
                    models.post_model();
                    models.post_kept(true);
                }
                Err(e) => {
                    models.notice = Some(format!("Your network could not be restored: {e}"));
                    models.post_model();
                }
            }
        }
        if let Some(problem) = problem {
            models.notice = Some(problem);
            models.post_model();
        }
        models
    }

    /// The shipped weights of `preset`, or an untrained network when none ship. When the
    /// weights cannot be fetched the network is untrained and says so.
    pub async fn select(&mut self, preset: Preset, reporter: Reporter) -> Result<(), EngineError> {
        self.preset = preset;
        self.weights = None;
        self.classes = cifar_class_names();
        self.card = untrained_card(preset);
        self.notice = None;
        let mut result = Ok(());
        if let Some(shipped) = self.shipped.get(preset).cloned() {
            reporter.step(format!("Loading {preset} weights…"), 0, 0);
            let url = format!("weights/{}", shipped.file);
            match fetch_bytes(&url, MAX_WEIGHTS_FILE_BYTES as usize).await {
                Ok(bytes) => {
                    self.weights = Some((shipped.file.clone(), bytes));
                    self.card = ShippedIndex::card(&shipped).await;
                }
                Err(e) => {
                    let e = e.then(format!("The {preset} network is untrained."));
                    self.notice = Some(e.to_string());
                    result = Err(e);
                }
            }
        }
        self.rebuild_model();
        self.post_model();
        self.post_kept(false);
        result
    }

    /// A weights file (either format) becomes the classifier's network; a bad file leaves the
    /// current one.
    pub fn import(&mut self, name: String, bytes: Vec<u8>) -> Result<(), EngineError> {
        let network = load_any_network(&bytes, &name, &backend::cpu())
            .map_err(|e| EngineError::from(e).then("The current model is unchanged."))?;
        self.preset = network.model.preset();
        self.set_model(network.model);
        self.card = match is_cifar(&network.classes) {
            true => ModelCard {
                origin: format!("imported from {name}"),
                notes: Some(
                    "An imported file carries no model card: run Evaluate for its accuracy.".into(),
                ),
                ..ModelCard::default()
            },
            false => ModelCard {
                origin: format!(
                    "your classes ({}), a head on the {} network",
                    network.classes.join(", "),
                    self.preset
                ),
                notes: Some("Its held-out accuracy is on the Teach page.".into()),
                ..ModelCard::default()
            },
        };
        self.classes = network.classes;
        self.notice = None;
        self.weights = Some((name, bytes));
        self.post_model();
        self.post_kept(true);
        Ok(())
    }

    /// A trained network becomes the classifier's, kept as bytes too so that a backend switch
    /// rebuilds it like shipped weights.
    pub async fn take_trained(
        &mut self,
        model: Classifier,
        name: String,
        card: ModelCard,
    ) -> Result<(), EngineError> {
        let host = to_device_async(&model, &backend::cpu()).await?;
        let bytes = save_network_as(host.clone(), &cifar_class_names(), Precision::Full)?;
        self.preset = host.preset();
        self.classes = cifar_class_names();
        self.weights = Some((name, bytes));
        self.card = card;
        self.notice = None;
        self.set_model(host);
        self.post_model();
        self.post_kept(true);
        Ok(())
    }

    /// `host` (on the CPU) becomes the network, with its folded form on the current device and,
    /// on the CPU, its packed form.
    fn set_model(&mut self, host: Classifier) {
        self.generation += 1;
        let cpu = backend::cpu();
        let folded = FoldedClassifier::fold(&host, &cpu, &cpu);
        self.packed = match (self.status.kind, folded.pack()) {
            (BackendKind::Cpu, Some(Ok(packed))) => Some(packed),
            (BackendKind::Cpu, Some(Err(e))) => {
                // Burn's kernels still classify; only speed is lost.
                web_sys::console::warn_1(&format!("CPU inference runs on Burn: {e}").into());
                None
            }
            _ => None,
        };
        self.folded = folded.to_device(&self.device);
        self.model = host.to_device(&self.device);
    }

    /// Builds the network for the current preset and weights on the current device. Weights are
    /// loaded on the CPU and then moved, so that every backend starts from identical numbers.
    fn rebuild_model(&mut self) {
        let cpu = backend::cpu();
        let loaded = match &self.weights {
            Some((file, bytes)) => match load_any_network(bytes, file, &cpu) {
                Ok(network) => Some(network),
                Err(e) => {
                    self.notice = Some(format!("{e}; using an untrained {} network.", self.preset));
                    self.weights = None;
                    self.card = untrained_card(self.preset);
                    None
                }
            },
            None => None,
        };
        let network = loaded.unwrap_or_else(|| {
            cpu.seed(INIT_SEED);
            Network::cifar(Classifier::new(self.preset, &cpu))
        });
        self.set_model(network.model);
        self.classes = network.classes;
    }

    /// The shipped CIFAR-10 network of `preset` on the current device, as a Teach backbone:
    /// the classifier's own when it is that network, else fetched once and kept.
    pub async fn backbone(
        &mut self,
        preset: Preset,
        reporter: &Reporter,
    ) -> Result<Classifier, EngineError> {
        let shipped = self.shipped.get(preset).cloned().ok_or_else(|| {
            EngineError::Unavailable(format!(
                "no trained {preset} network ships with this page to learn your classes from"
            ))
        })?;
        if let Some((_, model)) = self.backbones.iter().find(|(p, _)| *p == preset) {
            return Ok(model.clone());
        }
        let current = matches!(&self.weights, Some((file, _)) if *file == shipped.file);
        let model = if current && self.preset == preset && is_cifar(&self.classes) {
            self.model.clone()
        } else {
            reporter.step(format!("Loading the {preset} backbone…"), 0, 0);
            let url = format!("weights/{}", shipped.file);
            let bytes = fetch_bytes(&url, MAX_WEIGHTS_FILE_BYTES as usize).await?;
            load_any_weights(&bytes, &shipped.file, &backend::cpu())?.to_device(&self.device)
        };
        self.backbones.push((preset, model.clone()));
        Ok(model)
    }

    pub fn post_model(&self) {
        post(&Event::Model {
            info: ModelInfo {
                card: self.card.clone(),
                preset: self.preset,
                parameters: self.model.num_params(),
                weights_file: self.weights.as_ref().map(|(file, _)| file.clone()),
                shipped: self.shipped.models.iter().map(|m| m.preset).collect(),
                notice: self.notice.clone(),
                classes: self.classes.clone(),
            },
        });
    }

    /// Tells the page which network to keep for a restart: the visitor's own (`own`) or none.
    fn post_kept(&self, own: bool) {
        let kept = self
            .weights
            .as_ref()
            .filter(|_| own)
            .map(|(name, bytes)| KeptNetwork {
                name: name.clone(),
                bytes: bytes.clone(),
                card: self.card.clone(),
            });
        post(&Event::Network { kept });
    }

    /// The loaded network in words, e.g. "fast.bin (fast)".
    pub fn model_name(&self) -> String {
        match &self.weights {
            Some((file, _)) => format!("{file} ({})", self.preset),
            None => format!("untrained {}", self.preset),
        }
    }
}

/// A network as a file named after its preset and `what` it is ("model", "trained").
pub async fn export(
    model: &Classifier,
    classes: &[String],
    format: WeightsFormat,
    what: &str,
) -> Result<(String, Vec<u8>), EngineError> {
    let host = to_device_async(model, &backend::cpu()).await?;
    let preset = host.preset();
    let what = if is_cifar(classes) {
        what
    } else {
        "your-classes"
    };
    let bytes = match format {
        WeightsFormat::Safetensors => save_network_safetensors(&host, classes)?,
        WeightsFormat::Pinhole => save_network_as(host, classes, Precision::Full)?,
    };
    Ok((
        format!("pinhole-{preset}-{what}.{}", format.extension()),
        bytes,
    ))
}

fn untrained_card(preset: Preset) -> ModelCard {
    ModelCard {
        origin: format!("untrained {preset} network (random initialisation)"),
        notes: Some("No weights are loaded: predictions are guesses until it is trained.".into()),
        ..ModelCard::default()
    }
}
