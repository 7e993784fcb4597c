/// airbench's triangle: linear warm-up from `start·peak` to `peak` over `warmup_steps`, then
/// linear decay to `end·peak` at `total_steps`. Starting above 0 keeps the first steps useful;
/// ending above 0 keeps the last ones moving while Lookahead averages them.
#[derive(Clone, Debug, PartialEq)]
pub struct LrSchedule {
    pub peak: f64,
    pub warmup_steps: usize,
    pub total_steps: usize,
    /// Fraction of `peak` at the first step.
    pub start: f64,
    /// Fraction of `peak` at `total_steps`.
    pub end: f64,
}

impl LrSchedule {
    pub fn at(&self, step: usize) -> f64 {
        let fraction = if step < self.warmup_steps {
            let done = (step + 1) as f64 / self.warmup_steps as f64;
            self.start + (1.0 - self.start) * done
        } else {
            let decay = (self.total_steps - self.warmup_steps).max(1) as f64;
            let done = ((step - self.warmup_steps) as f64 / decay).min(1.0);
            1.0 - (1.0 - self.end) * done
        };
        self.peak * fraction
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
            start: 0.0,
            end: 0.0,
        };
        assert!((s.at(0) - 0.04).abs() < 1e-12);
        assert!((s.at(9) - 0.4).abs() < 1e-12);
        assert!((s.at(10) - 0.4).abs() < 1e-12);
        assert!((s.at(60) - 0.2).abs() < 1e-12);
        assert_eq!(s.at(110), 0.0);
        assert!((1..110).all(|i| s.at(i) <= 0.4 + 1e-12));
    }

    #[test]
    fn airbench_triangle_starts_at_a_fifth_and_ends_at_seven_percent() {
        let s = LrSchedule {
            peak: 1.0,
            warmup_steps: 23,
            total_steps: 100,
            start: 0.2,
            end: 0.07,
        };
        // The first step is one warm-up increment above the start.
        assert!((s.at(0) - (0.2 + 0.8 / 23.0)).abs() < 1e-12);
        assert!((s.at(22) - 1.0).abs() < 1e-12);
        assert!((s.at(23) - 1.0).abs() < 1e-12);
        assert!((s.at(100) - 0.07).abs() < 1e-12);
        // Rises monotonically, then falls monotonically, never below the end.
        assert!((0..22).all(|i| s.at(i) < s.at(i + 1)));
        assert!((23..100).all(|i| s.at(i) > s.at(i + 1)));
        assert!((0..=100).all(|i| s.at(i) >= 0.07 - 1e-12));
    }
}
