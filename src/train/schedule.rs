/// Linear warm-up from 0 to `peak` over `warmup_steps`, then linear decay to 0 at `total_steps`.
#[derive(Clone, Debug, PartialEq)]
pub struct LrSchedule {
    pub peak: f64,
    pub warmup_steps: usize,
    pub total_steps: usize,
}

impl LrSchedule {
    pub fn at(&self, step: usize) -> f64 {
        if step < self.warmup_steps {
            self.peak * (step + 1) as f64 / self.warmup_steps as f64
        } else {
            let decay = (self.total_steps - self.warmup_steps).max(1) as f64;
            let done = (step - self.warmup_steps) as f64;
            (self.peak * (1.0 - done / decay)).max(0.0)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn warms_up_to_the_peak_then_decays_to_zero() {
        let s = LrSchedule {
            peak: 0.4,
            warmup_steps: 10,
            total_steps: 110,
        };
        assert!((s.at(0) - 0.04).abs() < 1e-12);
        assert!((s.at(9) - 0.4).abs() < 1e-12);
        assert!((s.at(10) - 0.4).abs() < 1e-12);
        assert!((s.at(60) - 0.2).abs() < 1e-12);
        assert_eq!(s.at(110), 0.0);
        assert!((1..110).all(|i| s.at(i) <= 0.4 + 1e-12));
    }
}
