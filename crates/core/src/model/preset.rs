use std::{fmt, str::FromStr};

use serde::{Deserialize, Serialize};

/// A named network size (see DESIGN.md, "The model").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Preset {
    /// Airbench widths 64/128/128 (≈0.57M parameters): in-tab training, webcam on CPU.
    Fast,
    /// Airbench widths 64/256/256 (≈2M parameters): the shipped weights.
    Full,
    /// The classic Keras tutorial CNN (≈0.16M parameters), for teaching.
    Baseline,
}

impl Preset {
    pub const ALL: [Preset; 3] = [Preset::Fast, Preset::Full, Preset::Baseline];

    pub fn name(self) -> &'static str {
        match self {
            Preset::Fast => "fast",
            Preset::Full => "full",
            Preset::Baseline => "baseline",
        }
    }

    /// Output channels of the three conv groups (airbench presets only).
    pub fn airbench_widths(self) -> Option<[usize; 3]> {
        match self {
            Preset::Fast => Some([64, 128, 128]),
            Preset::Full => Some([64, 256, 256]),
            Preset::Baseline => None,
        }
    }
}

impl fmt::Display for Preset {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown preset {0:?}: expected fast, full or baseline")]
pub struct PresetParseError(String);

impl FromStr for Preset {
    type Err = PresetParseError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Preset::ALL
            .into_iter()
            .find(|p| p.name() == s)
            .ok_or_else(|| PresetParseError(s.into()))
    }
}
