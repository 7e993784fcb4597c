//! The automatic backend choice: the engine starts on the CPU at once, checks WebGPU in the
//! background, times both backends on the jobs that matter and gives each job the faster.

use serde::{Deserialize, Serialize};

use super::BackendKind;

/// WebGPU gets a job only when it is this much faster than the CPU: moving a network costs a
/// copy and shader compiles, and the CPU path has fewer ways to fail (a lost device).
pub const WEBGPU_MARGIN: f64 = 0.9;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AutoChoice {
    /// Still checking or timing WebGPU.
    pub pending: bool,
    /// Milliseconds for one image's logits (the webcam's job) on the CPU and on WebGPU.
    pub inference_ms: Option<[f64; 2]>,
    /// Milliseconds for one training step on the CPU and on WebGPU (same preset and batch).
    pub training_ms: Option<[f64; 2]>,
    /// Why WebGPU is out of the choice (no adapter, a failed self-test, a failed timing).
    pub webgpu_problem: Option<String>,
}

impl AutoChoice {
    /// The backend for a job timed at `[cpu, webgpu]` milliseconds: the CPU until WebGPU is
    /// timed, and on a near tie.
    pub fn faster(ms: Option<[f64; 2]>) -> BackendKind {
        match ms {
            Some([cpu, webgpu]) if webgpu.is_finite() && webgpu < cpu * WEBGPU_MARGIN => {
                BackendKind::WebGpu
            }
            _ => BackendKind::Cpu,
        }
    }

    pub fn inference(&self) -> BackendKind {
        Self::faster(self.inference_ms)
    }

    pub fn training(&self) -> BackendKind {
        Self::faster(self.training_ms)
    }

    /// The choice and its reason, for the page.
    pub fn reason(&self) -> String {
        if let Some(problem) = &self.webgpu_problem {
            return format!("Automatic: the CPU for every job ({problem}).");
        }
        if self.pending && self.inference_ms.is_none() {
            return "Automatic: the CPU now; WebGPU is being checked and timed in the background."
                .into();
        }
        let job = |what: &str, ms: Option<[f64; 2]>, unit: &str| match ms {
            Some([cpu, webgpu]) => format!(
                "{what} on {} ({} {unit} on the CPU, {} on WebGPU)",
                Self::faster(ms).short_label(),
                millis(cpu),
                millis(webgpu)
            ),
            None => format!("{what} on the CPU (WebGPU still being timed)"),
        };
        format!(
            "Automatic, the faster backend for each job: {}; {}.",
            job("classifying", self.inference_ms, "an image"),
            job("training", self.training_ms, "a step")
        )
    }
}

impl BackendKind {
    fn short_label(self) -> &'static str {
        match self {
            BackendKind::WebGpu => "WebGPU",
            BackendKind::Cpu => "the CPU",
        }
    }
}

/// "3.8 ms", "45 ms", "1.25 s".
fn millis(ms: f64) -> String {
    if ms >= 1000.0 {
        format!("{:.2} s", ms / 1000.0)
    } else if ms >= 10.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{ms:.1} ms")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_job_goes_to_the_faster_backend_with_a_margin_for_webgpu() {
        assert_eq!(AutoChoice::faster(None), BackendKind::Cpu);
        assert_eq!(AutoChoice::faster(Some([4.0, 20.0])), BackendKind::Cpu);
        assert_eq!(
            AutoChoice::faster(Some([900.0, 120.0])),
            BackendKind::WebGpu
        );
        // A near tie stays on the CPU; a broken timing never picks WebGPU.
        assert_eq!(AutoChoice::faster(Some([10.0, 9.5])), BackendKind::Cpu);
        assert_eq!(AutoChoice::faster(Some([10.0, f64::NAN])), BackendKind::Cpu);
        let choice = AutoChoice {
            pending: false,
            inference_ms: Some([3.8, 21.0]),
            training_ms: Some([260.0, 40.0]),
            webgpu_problem: None,
        };
        assert_eq!(
            (choice.inference(), choice.training()),
            (BackendKind::Cpu, BackendKind::WebGpu)
        );
        assert_eq!(
            choice.reason(),
            "Automatic, the faster backend for each job: classifying on the CPU (3.8 ms an image on the CPU, 21 ms on WebGPU); training on WebGPU (260 ms a step on the CPU, 40 ms on WebGPU)."
        );
    }

    #[test]
    fn the_reason_says_what_is_pending_or_why_webgpu_is_out() {
        let pending = AutoChoice {
            pending: true,
            ..AutoChoice::default()
        };
        assert!(
            pending.reason().contains("in the background"),
            "{}",
            pending.reason()
        );
        let half = AutoChoice {
            pending: true,
            inference_ms: Some([3.8, 2.0]),
            ..AutoChoice::default()
        };
        assert!(
            half.reason().contains("classifying on WebGPU"),
            "{}",
            half.reason()
        );
        assert!(
            half.reason().contains("still being timed"),
            "{}",
            half.reason()
        );
        let failed = AutoChoice {
            webgpu_problem: Some("WebGPU self-test failed".into()),
            ..AutoChoice::default()
        };
        assert_eq!(
            failed.reason(),
            "Automatic: the CPU for every job (WebGPU self-test failed)."
        );
        assert_eq!(millis(1250.0), "1.25 s");
    }
}
