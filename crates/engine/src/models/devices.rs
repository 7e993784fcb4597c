//! Where the classifier's network runs: the backend switch, WebGPU offered by the background
//! check, and the automatic choice's moves of inference and training between devices.

use burn::tensor::Device;

use crate::backend::{self};
use crate::worker::post;
use pinhole_core::protocol::{BackendKind, BackendStatus, Event};

use super::*;

impl Models {
    /// Moves every job to another backend (the visitor's switch: the automatic choice ends).
    pub async fn switch(&mut self, kind: BackendKind) {
        self.use_backend(kind).await;
        self.status.auto = None;
        self.backbones.clear();
        self.rebuild_model();
        self.post_backend();
        self.post_model();
    }

    /// Keeps the background check's WebGPU device (or why there is none) for later switches.
    pub fn offer_webgpu(&mut self, checked: Result<Device, String>) {
        if backend::take_gpu_lost() {
            self.webgpu = None;
        }
        if self.webgpu.is_none() {
            self.webgpu = Some(checked);
        }
    }

    /// The automatic choice moves the classifier's network to `kind` (`gpu` is the checked
    /// WebGPU device).
    pub fn auto_inference(&mut self, kind: BackendKind, gpu: &Device) {
        if kind == self.status.kind {
            return;
        }
        self.device = match kind {
            BackendKind::WebGpu => gpu.clone(),
            BackendKind::Cpu => backend::cpu(),
        };
        self.status.kind = kind;
        self.status.detail = self.detail();
        self.backbones.clear();
        self.rebuild_model();
        self.post_model();
    }

    /// The automatic choice sends training and evaluation to `kind`.
    pub fn auto_training(&mut self, kind: BackendKind, gpu: &Device) {
        self.training_device = match kind {
            BackendKind::WebGpu => gpu.clone(),
            BackendKind::Cpu => backend::cpu(),
        };
        self.status.training = kind;
        self.status.detail = self.detail();
    }

    pub(super) fn detail(&self) -> String {
        match (self.status.kind, self.status.training) {
            (BackendKind::Cpu, BackendKind::Cpu) => CPU_DETAIL.into(),
            (BackendKind::WebGpu, BackendKind::WebGpu) => backend::webgpu_detail(),
            (BackendKind::Cpu, BackendKind::WebGpu) => {
                format!("{CPU_DETAIL}; training on {}", backend::webgpu_detail())
            }
            (BackendKind::WebGpu, BackendKind::Cpu) => {
                format!("{}; training on {CPU_DETAIL}", backend::webgpu_detail())
            }
        }
    }

    /// Pushes the backend status to the page (and tells the device watch whether WebGPU is used).
    pub fn post_backend(&self) {
        backend::set_gpu_in_use(
            self.status.kind == BackendKind::WebGpu || self.status.training == BackendKind::WebGpu,
        );
        post(&Event::Backend {
            status: self.status.clone(),
        });
    }

    /// Moves every job to `kind`, falling back to the CPU (with the reason as the notice) if
    /// WebGPU fails.
    pub(super) async fn use_backend(&mut self, kind: BackendKind) {
        if backend::take_gpu_lost() {
            self.webgpu = None;
        }
        if kind == BackendKind::WebGpu && self.webgpu.is_none() {
            self.webgpu = Some(backend::init_webgpu().await.map_err(|e| e.to_string()));
        }
        let webgpu = match kind {
            BackendKind::WebGpu => self.webgpu.clone(),
            BackendKind::Cpu => None,
        };
        match webgpu {
            Some(Ok(device)) => {
                self.device = device.clone();
                self.training_device = device;
                self.status = BackendStatus {
                    kind: BackendKind::WebGpu,
                    training: BackendKind::WebGpu,
                    detail: backend::webgpu_detail(),
                    notice: None,
                    auto: None,
                };
            }
            Some(Err(reason)) => self.use_cpu(Some(format!("Running on the CPU: {reason}."))),
            None => self.use_cpu(None),
        }
    }

    pub(super) fn use_cpu(&mut self, notice: Option<String>) {
        self.device = backend::cpu();
        self.training_device = backend::cpu();
        self.status = BackendStatus {
            kind: BackendKind::Cpu,
            training: BackendKind::Cpu,
            detail: CPU_DETAIL.into(),
            notice,
            auto: None,
        };
    }
}
