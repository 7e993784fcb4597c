//! Bounds on a run's settings, wherever they come from: the page's form, the CLI's flags or a
//! checkpoint's header (which a visitor may have edited or downloaded). A setting outside them
//! would panic or run for ever on resume, so every path checks them before building a trainer.

use super::config::TrainConfig;

/// Largest batch: its images, activations and gradients must fit a tab's memory (airbench trains
/// at 1024; the engine's memory is 32-bit, 4 GiB at most).
pub const MAX_BATCH_SIZE: usize = 2048;
/// Most epochs in one run: enough for any schedule worth running, few enough that the step
/// count cannot overflow and an edited header cannot start an endless run.
pub const MAX_EPOCHS: usize = 1000;
/// Largest random translation in pixels: the reflect padding must stay well inside a 32-pixel
/// image (airbench uses 2).
pub const MAX_TRANSLATE: usize = 8;
/// Largest peak learning rate and batch-norm bias multiplier: far above any that trains, low
/// enough to catch a typo or a corrupt header before the first step diverges.
pub const MAX_LR: f64 = 100.0;
pub const MAX_BIAS_SCALER: f64 = 10_000.0;

#[derive(Debug, thiserror::Error)]
#[error("{name}: {setting} is {value}, but it must be {rule}")]
pub struct SettingsError {
    pub name: String,
    pub setting: &'static str,
    pub value: String,
    pub rule: String,
}

impl TrainConfig {
    /// Checks every setting against its bound and that `train_records` hold at least one batch;
    /// `name` names where the settings came from.
    pub fn check(&self, name: &str, train_records: usize) -> Result<(), SettingsError> {
        let fail = |setting: &'static str, value: String, rule: String| SettingsError {
            name: name.into(),
            setting,
            value,
            rule,
        };
        let whole = |setting, value: usize, max: usize| {
            if (1..=max).contains(&value) {
                Ok(())
            } else {
                Err(fail(setting, value.to_string(), format!("from 1 to {max}")))
            }
        };
        let real = |setting, value: f64, low: f64, high: f64, high_open: bool| {
            let inside =
                value.is_finite() && value >= low && (value < high || !high_open && value == high);
            if inside {
                Ok(())
            } else {
                let close = if high_open { ")" } else { "]" };
                Err(fail(
                    setting,
                    value.to_string(),
                    format!("in [{low}, {high}{close}"),
                ))
            }
        };
        whole("the batch size", self.batch_size, MAX_BATCH_SIZE)?;
        whole("the number of epochs", self.epochs, MAX_EPOCHS)?;
        if self.translate > MAX_TRANSLATE {
            return Err(fail(
                "the translation",
                format!("{} px", self.translate),
                format!("at most {MAX_TRANSLATE} px"),
            ));
        }
        if !(self.lr.is_finite() && self.lr > 0.0 && self.lr <= MAX_LR) {
            return Err(fail(
                "the learning rate",
                self.lr.to_string(),
                format!("above 0 and at most {MAX_LR}"),
            ));
        }
        real("the momentum", self.momentum, 0.0, 1.0, true)?;
        real(
            "the weight decay",
            self.weight_decay as f64,
            0.0,
            1.0,
            false,
        )?;
        real(
            "the label smoothing",
            self.label_smoothing as f64,
            0.0,
            1.0,
            true,
        )?;
        real(
            "the warm-up fraction",
            self.warmup_fraction,
            0.0,
            1.0,
            false,
        )?;
        real(
            "the starting learning-rate fraction",
            self.lr_start,
            0.0,
            1.0,
            false,
        )?;
        real(
            "the final learning-rate fraction",
            self.lr_end,
            0.0,
            1.0,
            false,
        )?;
        real(
            "the bias multiplier",
            self.bias_scaler,
            0.0,
            MAX_BIAS_SCALER,
            false,
        )?;
        if train_records < self.batch_size {
            return Err(fail(
                "the batch size",
                self.batch_size.to_string(),
                format!(
                    "at most the {train_records} training records, so that an epoch has a step"
                ),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Preset;

    #[test]
    fn the_recipe_passes_and_each_bound_names_its_setting() {
        let good = TrainConfig::new(Preset::Fast);
        good.check("recipe", 50_000).unwrap();
        type Break = fn(&mut TrainConfig);
        let cases: [(&str, Break); 9] = [
            ("batch size", |c| c.batch_size = 0),
            ("batch size", |c| c.batch_size = MAX_BATCH_SIZE + 1),
            ("epochs", |c| c.epochs = 0),
            ("epochs", |c| c.epochs = usize::MAX),
            ("translation", |c| c.translate = 100),
            ("learning rate", |c| c.lr = f64::NAN),
            ("momentum", |c| c.momentum = 1.0),
            ("label smoothing", |c| c.label_smoothing = -0.1),
            ("bias multiplier", |c| c.bias_scaler = f64::INFINITY),
        ];
        for (setting, break_it) in cases {
            let mut config = good.clone();
            break_it(&mut config);
            let message = config.check("header.json", 50_000).unwrap_err().to_string();
            assert!(message.starts_with("header.json: "), "{message}");
            assert!(message.contains(setting), "{setting}: {message}");
        }
        let message = good.check("tiny", 10).unwrap_err().to_string();
        assert!(message.contains("10 training records"), "{message}");
    }
}
