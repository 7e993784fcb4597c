//! Which saliency method to compute, and its settings (no Burn: the UI sends these).

use serde::{Deserialize, Serialize};

/// SmoothGrad's default number of noisy copies (Smilkov et al. see little change past ~50;
/// 16 keeps a live webcam frame affordable).
pub const SMOOTHGRAD_SAMPLES: usize = 16;
/// SmoothGrad's default noise: σ as a fraction of the pixel range (the paper's 10–20%).
pub const SMOOTHGRAD_NOISE: f32 = 0.15;
/// Upper bound on SmoothGrad copies: they run as one batch.
pub const SMOOTHGRAD_MAX_SAMPLES: usize = 64;

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum SaliencyMethod {
    /// |∂ logit / ∂ pixel|, the largest over the colour channels (Simonyan et al. 2014).
    Gradient,
    /// The input gradient averaged over `samples` copies with Gaussian noise of σ = `noise`.
    SmoothGrad { samples: usize, noise: f32 },
    /// Grad-CAM (Selvaraju et al. 2017) on the last convolutional group, upsampled to the input.
    GradCam,
}

impl SaliencyMethod {
    pub fn smooth_grad() -> Self {
        SaliencyMethod::SmoothGrad {
            samples: SMOOTHGRAD_SAMPLES,
            noise: SMOOTHGRAD_NOISE,
        }
    }

    /// A short stable name (used in the page's selects and in benchmark JSON).
    pub fn key(self) -> &'static str {
        match self {
            SaliencyMethod::Gradient => "gradient",
            SaliencyMethod::SmoothGrad { .. } => "smoothgrad",
            SaliencyMethod::GradCam => "gradcam",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SaliencyMethod::Gradient => "Gradient",
            SaliencyMethod::SmoothGrad { .. } => "SmoothGrad",
            SaliencyMethod::GradCam => "Grad-CAM",
        }
    }

    /// The method named by [`SaliencyMethod::key`], with default settings.
    pub fn from_key(key: &str) -> Option<Self> {
        match key {
            "gradient" => Some(SaliencyMethod::Gradient),
            "smoothgrad" => Some(SaliencyMethod::smooth_grad()),
            "gradcam" => Some(SaliencyMethod::GradCam),
            _ => None,
        }
    }

    /// The same method with its settings brought into range (requests come from the page).
    pub fn clamped(self) -> Self {
        match self {
            SaliencyMethod::SmoothGrad { samples, noise } => SaliencyMethod::SmoothGrad {
                samples: samples.clamp(1, SMOOTHGRAD_MAX_SAMPLES),
                noise: if noise.is_finite() {
                    noise.clamp(0.0, 1.0)
                } else {
                    SMOOTHGRAD_NOISE
                },
            },
            other => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_settings_are_clamped() {
        for method in [
            SaliencyMethod::Gradient,
            SaliencyMethod::smooth_grad(),
            SaliencyMethod::GradCam,
        ] {
            assert_eq!(SaliencyMethod::from_key(method.key()), Some(method));
        }
        assert_eq!(
            SaliencyMethod::SmoothGrad {
                samples: 1000,
                noise: f32::NAN
            }
            .clamped(),
            SaliencyMethod::SmoothGrad {
                samples: SMOOTHGRAD_MAX_SAMPLES,
                noise: SMOOTHGRAD_NOISE
            }
        );
        assert_eq!(
            serde_json::to_value(SaliencyMethod::GradCam).unwrap(),
            serde_json::json!({"method": "grad_cam"})
        );
    }
}
