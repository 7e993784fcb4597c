//! NaN and infinite values counted in a weights file's raw little-endian tensor bytes, before a
//! network is built from them: on any device (a read-back from WebGPU could not be synchronous)
//! and without decoding a value (a float is not finite exactly when its exponent bits are all
//! ones).

/// The float layouts weights are stored in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FloatBits {
    F64,
    F32,
    F16,
    BF16,
}

impl FloatBits {
    /// How many values in `bytes` (whole values only) are NaN or infinite.
    pub(crate) fn count_non_finite(self, bytes: &[u8]) -> usize {
        match self {
            FloatBits::F64 => count(
                bytes,
                |b| {
                    u64::from_le_bytes(b.try_into().unwrap()) & 0x7FF0_0000_0000_0000
                        == 0x7FF0_0000_0000_0000
                },
                8,
            ),
            FloatBits::F32 => count(
                bytes,
                |b| u32::from_le_bytes(b.try_into().unwrap()) & 0x7F80_0000 == 0x7F80_0000,
                4,
            ),
            FloatBits::F16 => count(
                bytes,
                |b| u16::from_le_bytes(b.try_into().unwrap()) & 0x7C00 == 0x7C00,
                2,
            ),
            FloatBits::BF16 => count(
                bytes,
                |b| u16::from_le_bytes(b.try_into().unwrap()) & 0x7F80 == 0x7F80,
                2,
            ),
        }
    }
}

fn count(bytes: &[u8], bad: impl Fn(&[u8]) -> bool, width: usize) -> usize {
    bytes.chunks_exact(width).filter(|b| bad(b)).count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_nan_and_infinity_count_in_every_layout() {
        let f32s: Vec<u8> = [
            1.0f32,
            f32::NAN,
            f32::INFINITY,
            -f32::INFINITY,
            f32::MAX,
            0.0,
        ]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
        assert_eq!(FloatBits::F32.count_non_finite(&f32s), 3);
        let f64s: Vec<u8> = [f64::NAN, 1e300, f64::NEG_INFINITY]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        assert_eq!(FloatBits::F64.count_non_finite(&f64s), 2);
        // f16: 1.0, NaN, +inf, 65504 (the largest finite); bf16: 1.0, NaN, -inf.
        let f16s: Vec<u8> = [0x3C00u16, 0x7E00, 0x7C00, 0x7BFF]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        assert_eq!(FloatBits::F16.count_non_finite(&f16s), 2);
        let bf16s: Vec<u8> = [0x3F80u16, 0x7FC0, 0xFF80]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        assert_eq!(FloatBits::BF16.count_non_finite(&bf16s), 2);
    }
}
