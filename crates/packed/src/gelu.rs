//! GELU in one pass, `x·(1 + erf(x/√2))/2`, with a branch-free rational erf so that the compiler
//! vectorises it (wasm SIMD, SSE): `f32::exp` or a libm `erf` would be a scalar call per value.

/// erf(x) to about 1 ulp-scale error in f32 (max abs error ≈ 2e-7 against f64 `erf`), as a
/// rational function `x·P(x²)/Q(x²)` on `[-4, 4]` (beyond, erf is ±1 in f32). The same form as
/// Eigen's and XLA's float erf.
#[inline(always)]
pub fn erf(x: f32) -> f32 {
    let x = x.clamp(-4.0, 4.0);
    let x2 = x * x;
    let mut p = -2.726_142_3e-10_f32;
    p = p.mul_add_plain(x2, 2.770_681_4e-8);
    p = p.mul_add_plain(x2, -2.101_024e-6);
    p = p.mul_add_plain(x2, -5.692_506_4e-5);
    p = p.mul_add_plain(x2, -7.349_906_3e-4);
    p = p.mul_add_plain(x2, -2.9546e-3);
    p = p.mul_add_plain(x2, -1.609_603_3e-2);
    let mut q = -1.456_607_2e-5_f32;
    q = q.mul_add_plain(x2, -2.133_740_6e-4);
    q = q.mul_add_plain(x2, -1.682_827e-3);
    q = q.mul_add_plain(x2, -7.373_329e-3);
    q = q.mul_add_plain(x2, -1.426_474e-2);
    x * p / q
}

/// GELU of one value.
#[inline(always)]
pub fn gelu(x: f32) -> f32 {
    0.5 * x * (1.0 + erf(x * std::f32::consts::FRAC_1_SQRT_2))
}

/// `a·b + c` as a multiply then an add: `f32::mul_add` is a libm call where the target has no
/// fused multiply-add (wasm SIMD has none), which would stop vectorisation.
trait MulAddPlain {
    fn mul_add_plain(self, b: f32, c: f32) -> f32;
}

impl MulAddPlain for f32 {
    #[inline(always)]
    fn mul_add_plain(self, b: f32, c: f32) -> f32 {
        self * b + c
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// erf by its Taylor series (|x| < 3) or its continued fraction for erfc, in f64.
    fn erf_f64(x: f64) -> f64 {
        if x.abs() >= 3.0 {
            let mut fraction = 0.0;
            for n in (1..120).rev() {
                fraction = (f64::from(n) / 2.0) / (x.abs() + fraction);
            }
            let erfc = (-x * x).exp() / std::f64::consts::PI.sqrt() / (x.abs() + fraction);
            return x.signum() * (1.0 - erfc);
        }
        let (mut sum, mut term) = (x, x);
        for n in 1..200 {
            term *= -x * x / f64::from(n);
            sum += term / f64::from(2 * n + 1);
        }
        sum * 2.0 / std::f64::consts::PI.sqrt()
    }

    #[test]
    fn erf_is_accurate_to_float_rounding() {
        let worst = (-80_000..=80_000)
            .map(|i| f64::from(i) / 10_000.0)
            .map(|x| (f64::from(erf(x as f32)) - erf_f64(x)).abs())
            .fold(0.0, f64::max);
        assert!(worst < 1e-6, "{worst}");
        // Past the clamp, ±1 to float rounding.
        assert!((erf(100.0) - 1.0).abs() < 1e-6 && (erf(-100.0) + 1.0).abs() < 1e-6);
        assert!(erf(f32::NAN).is_nan());
    }

    #[test]
    fn gelu_matches_its_definition() {
        for x in [-30.0f32, -3.0, -0.5, 0.0, 0.25, 1.0, 2.0, 28.0] {
            let want =
                0.5 * f64::from(x) * (1.0 + erf_f64(f64::from(x) / std::f64::consts::SQRT_2));
            assert!(
                (f64::from(gelu(x)) - want).abs() < 1e-5 * want.abs().max(1.0),
                "{x}"
            );
        }
    }
}
