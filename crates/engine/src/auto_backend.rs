//! The automatic backend choice (no `?backend=` and no manual switch). The engine starts on the
//! CPU, so the first prediction waits for nothing; WebGPU is acquired and self-tested in a
//! background task, then both backends are timed on the jobs that matter, one job per tick of
//! the request loop (requests are answered between ticks): one image's logits (uploads and the
//! webcam) and one training step. Each job goes to the faster (`AutoChoice::faster`), so a weak
//! or software GPU never makes the page slower than its CPU.

use burn::module::Module;
use burn::tensor::{Device, Distribution, Tensor};
use futures::channel::oneshot;

use super::EngineError;
use super::backend;
use super::benchmark::synthetic_records;
use super::models::Models;
use super::worker::{now_ms, yield_now};
use pinhole_compute::data::CifarRecord;
use pinhole_compute::model::packed::Activations;
use pinhole_compute::model::{FoldedClassifier, Preset, read_floats, read_scalar};
use pinhole_compute::train::{TrainConfig, Trainer};
use pinhole_core::protocol::{AutoChoice, BackendKind};

/// Timed runs of one image's logits per backend (the median counts).
const INFERENCE_RUNS: usize = 5;
/// The training step timed: the Train page's default preset at a small batch, so that a slow
/// device holds the request loop for seconds, not minutes (SwiftShader: ~4 s a step).
const TRAINING_PRESET: Preset = Preset::Fast;
const TRAINING_BATCH: usize = 16;

#[derive(Default)]
pub struct AutoBackend {
    /// The background WebGPU check, until it answers.
    probe: Option<oneshot::Receiver<Result<Device, EngineError>>>,
    /// Timing work left once WebGPU passed its check.
    timing: Option<Timing>,
}

struct Timing {
    gpu: Device,
    stage: Stage,
}

enum Stage {
    Inference,
    /// The first step compiles WebGPU's shaders: timed is the second.
    WebGpuTraining {
        trainer: Option<Box<Trainer>>,
        records: Vec<CifarRecord>,
    },
    CpuTraining {
        webgpu_ms: f64,
        records: Vec<CifarRecord>,
    },
}

impl AutoBackend {
    /// Starts the background check when the backend choice is automatic.
    pub fn start(models: &Models) -> Self {
        if !models.status.auto.as_ref().is_some_and(|a| a.pending) {
            return Self::default();
        }
        let (sender, probe) = oneshot::channel();
        wasm_bindgen_futures::spawn_local(async move {
            let _ = sender.send(backend::init_webgpu().await);
        });
        AutoBackend {
            probe: Some(probe),
            timing: None,
        }
    }

    pub fn probe(&mut self) -> Option<&mut oneshot::Receiver<Result<Device, EngineError>>> {
        self.probe.as_mut()
    }

    /// Whether timing work is waiting for a tick.
    pub fn timing(&self) -> bool {
        self.timing.is_some()
    }

    /// The check's answer, if it has come (without waiting).
    pub fn poll_probe(&mut self, models: &mut Models) {
        let answer = match self.probe.as_mut().map(oneshot::Receiver::try_recv) {
            Some(Ok(Some(answer))) => Ok(answer),
            Some(Ok(None)) | None => return,
            Some(Err(oneshot::Canceled)) => Err(()),
        };
        self.probe = None;
        self.probed(answer.unwrap_or_else(|()| Err(stopped())), models);
    }

    /// The check answered: keep the device for later switches, and time it if the choice is
    /// still automatic.
    pub fn probed(&mut self, answer: Result<Device, EngineError>, models: &mut Models) {
        self.probe = None;
        let automatic = models.status.auto.is_some();
        match answer {
            Ok(gpu) => {
                models.offer_webgpu(Ok(gpu.clone()));
                if automatic {
                    self.timing = Some(Timing {
                        gpu,
                        stage: Stage::Inference,
                    });
                }
            }
            Err(e) => {
                let reason = e.to_string();
                models.offer_webgpu(Err(reason.clone()));
                if let Some(auto) = models.status.auto.as_mut() {
                    auto.pending = false;
                    auto.webgpu_problem = Some(reason);
                    models.post_backend();
                }
            }
        }
    }

    /// The visitor chose a backend: the background check's device is kept for the switch
    /// (waited for if it is still being checked), and nothing more is timed.
    pub async fn end(&mut self, models: &mut Models) {
        if let Some(probe) = self.probe.take() {
            let answer = probe.await.unwrap_or_else(|_| Err(stopped()));
            models.offer_webgpu(answer.map_err(|e| e.to_string()));
        }
        self.timing = None;
    }

    /// One timing job; the last one gives training its backend and ends the choice's wait.
    pub async fn tick(&mut self, models: &mut Models) {
        let Some(timing) = self.timing.take() else {
            return;
        };
        if models.status.auto.is_none() {
            return;
        }
        match timing.step(models).await {
            Ok(next) => self.timing = next,
            Err(e) => {
                web_sys::console::warn_1(&format!("WebGPU timing failed: {e}").into());
                models.auto_inference(BackendKind::Cpu, &backend::cpu());
                models.auto_training(BackendKind::Cpu, &backend::cpu());
                if let Some(auto) = models.status.auto.as_mut() {
                    auto.pending = false;
                    auto.webgpu_problem = Some(format!("timing WebGPU failed: {e}"));
                }
                models.post_backend();
            }
        }
    }
}

impl Timing {
    /// One stage; the timing left, or `None` when every job has its backend.
    async fn step(self, models: &mut Models) -> Result<Option<Timing>, EngineError> {
        let Timing { gpu, stage } = self;
        let stage = match stage {
            Stage::Inference => {
                let ms = [
                    cpu_logits_ms(models).await?,
                    webgpu_logits_ms(models, &gpu).await?,
                ];
                if let Some(auto) = models.status.auto.as_mut() {
                    auto.inference_ms = Some(ms);
                }
                models.auto_inference(AutoChoice::faster(Some(ms)), &gpu);
                models.post_backend();
                Some(Stage::WebGpuTraining {
                    trainer: None,
                    records: synthetic_records(TRAINING_BATCH),
                })
            }
            Stage::WebGpuTraining { trainer, records } => match trainer {
                None => {
                    let mut trainer = training_trainer(&gpu, &records);
                    step_ms(&mut trainer, &records).await?;
                    Some(Stage::WebGpuTraining {
                        trainer: Some(Box::new(trainer)),
                        records,
                    })
                }
                Some(mut trainer) => Some(Stage::CpuTraining {
                    webgpu_ms: step_ms(&mut trainer, &records).await?,
                    records,
                }),
            },
            Stage::CpuTraining { webgpu_ms, records } => {
                let mut trainer = training_trainer(&backend::cpu(), &records);
                step_ms(&mut trainer, &records).await?;
                yield_now().await;
                let ms = [step_ms(&mut trainer, &records).await?, webgpu_ms];
                models.auto_training(AutoChoice::faster(Some(ms)), &gpu);
                if let Some(auto) = models.status.auto.as_mut() {
                    auto.training_ms = Some(ms);
                    auto.pending = false;
                }
                models.post_backend();
                None
            }
        };
        Ok(stage.map(|stage| Timing { gpu, stage }))
    }
}

fn stopped() -> EngineError {
    EngineError::Device("the WebGPU check stopped before it answered".into())
}

fn median(mut times: Vec<f64>) -> f64 {
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

/// One image's logits on the CPU as classify computes them (the packed kernels when they
/// hold the network).
async fn cpu_logits_ms(models: &Models) -> Result<f64, EngineError> {
    let cpu = backend::cpu();
    let pixels = vec![0.5f32; 3 * 32 * 32];
    let mut times = Vec::new();
    for _ in 0..=INFERENCE_RUNS {
        let start = now_ms();
        match &models.packed {
            Some(packed) => {
                let images = Activations::from_nchw(&pixels, [1, 3, 32, 32]);
                std::hint::black_box(packed.logits(&images));
            }
            None => {
                let image = Tensor::<4>::random([1, 3, 32, 32], Distribution::Default, &cpu);
                // The network is on the CPU while the choice is being made.
                read_floats(models.folded.forward(image), "the CPU's timing logits").await?;
            }
        }
        times.push(now_ms() - start);
    }
    // The first run sizes buffers.
    times.remove(0);
    Ok(median(times))
}

/// One image's logits on WebGPU (a copy of the classifier's folded network); the first run
/// compiles shaders and is not counted.
async fn webgpu_logits_ms(models: &Models, gpu: &Device) -> Result<f64, EngineError> {
    let folded: FoldedClassifier = models.folded.clone().to_device(gpu);
    let mut times = Vec::new();
    for _ in 0..=INFERENCE_RUNS {
        let image = Tensor::<4>::random([1, 3, 32, 32], Distribution::Default, gpu);
        let start = now_ms();
        read_floats(folded.forward(image), "WebGPU's timing logits").await?;
        times.push(now_ms() - start);
    }
    times.remove(0);
    Ok(median(times))
}

fn training_trainer(device: &Device, records: &[CifarRecord]) -> Trainer {
    let mut config = TrainConfig::new(TRAINING_PRESET);
    config.batch_size = records.len();
    // Enough epochs that the schedule never ends inside the timing.
    config.epochs = 4;
    Trainer::new(config, records, &device.clone().autodiff())
}

/// Milliseconds for one optimiser step, the loss read-back included.
async fn step_ms(trainer: &mut Trainer, records: &[CifarRecord]) -> Result<f64, EngineError> {
    let all: Vec<usize> = (0..records.len()).collect();
    let start = now_ms();
    read_scalar(
        trainer.train_step(&all, records).loss,
        "the timing step's loss",
    )
    .await?;
    Ok(now_ms() - start)
}
