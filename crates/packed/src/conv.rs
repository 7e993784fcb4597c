//! A 2-D convolution on channels-last (NHWC) activations, its weights packed once so that the
//! inner loop reads them contiguously: a register tile of [`PIXELS`] output pixels × [`LANES`]
//! output channels, accumulated over the kernel's taps and input channels. Written as plain
//! loops over fixed-size arrays, which LLVM turns into SIMD (wasm `f32x4`, SSE/AVX natively).

use super::gelu::gelu;
use super::{Activations, PackError};

/// Output channels per tile: two 128-bit vectors of f32.
pub(super) const LANES: usize = 8;
/// Output pixels per tile. With [`LANES`] that is 12 vector accumulators, which with the weight
/// vectors and the broadcast input fits the 16 vector registers of x86-64 (where browsers run
/// wasm SIMD on most machines) without spilling.
pub(super) const PIXELS: usize = 4;

/// What happens to a tile's sums before they are stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Epilogue {
    /// Bias only.
    Linear,
    /// Bias, then GELU.
    Gelu,
}

/// A convolution with stride 1, square kernel and equal padding on every side.
#[derive(Clone, Debug, PartialEq)]
pub struct PackedConv {
    kernel: usize,
    padding: usize,
    channels_in: usize,
    channels_out: usize,
    /// `[ceil(out / LANES)][ky][kx][in][LANES]`, zero past `channels_out`.
    weights: Vec<f32>,
    /// `[ceil(out / LANES) · LANES]`, zero past `channels_out`.
    bias: Vec<f32>,
}

impl PackedConv {
    /// Packs PyTorch/Burn-layout weights `[out][in][k][k]` (`shape`) and an optional bias.
    pub fn new(
        weights: &[f32],
        shape: [usize; 4],
        bias: Option<&[f32]>,
        padding: usize,
    ) -> Result<Self, PackError> {
        let [channels_out, channels_in, kernel, kernel_w] = shape;
        if kernel != kernel_w || kernel == 0 || channels_in == 0 || channels_out == 0 {
            return Err(PackError::Shape(format!(
                "a square, non-empty convolution kernel, not {shape:?}"
            )));
        }
        if weights.len() != shape.iter().product::<usize>() {
            return Err(PackError::Shape(format!(
                "{} weights for a kernel of shape {shape:?}",
                weights.len()
            )));
        }
        if bias.is_some_and(|b| b.len() != channels_out) {
            return Err(PackError::Shape(format!(
                "a bias of {channels_out} values, not {}",
                bias.map_or(0, <[f32]>::len)
            )));
        }
        let blocks = channels_out.div_ceil(LANES);
        let taps = kernel * kernel;
        let mut packed = vec![0.0; blocks * taps * channels_in * LANES];
        for o in 0..channels_out {
            let (block, lane) = (o / LANES, o % LANES);
            for i in 0..channels_in {
                for tap in 0..taps {
                    let from = (o * channels_in + i) * taps + tap;
                    let to = ((block * taps + tap) * channels_in + i) * LANES + lane;
                    packed[to] = weights[from];
                }
            }
        }
        let mut padded_bias = vec![0.0; blocks * LANES];
        if let Some(bias) = bias {
            padded_bias[..channels_out].copy_from_slice(bias);
        }
        Ok(Self {
            kernel,
            padding,
            channels_in,
            channels_out,
            weights: packed,
            bias: padded_bias,
        })
    }

    pub fn channels_in(&self) -> usize {
        self.channels_in
    }

    pub fn channels_out(&self) -> usize {
        self.channels_out
    }

    /// The convolution of `input` (which must have [`PackedConv::channels_in`] channels and be
    /// at least as large as the kernel once padded).
    pub fn forward(&self, input: &Activations, epilogue: Epilogue) -> Activations {
        assert_eq!(
            input.channels, self.channels_in,
            "convolution input channels"
        );
        let padded = input.padded(self.padding);
        let (height, width) = (padded.height, padded.width);
        assert!(
            height >= self.kernel && width >= self.kernel,
            "input smaller than the kernel"
        );
        let (out_h, out_w) = (height - self.kernel + 1, width - self.kernel + 1);
        let mut output = Activations::zeros(input.images, out_h, out_w, self.channels_out);
        let run = self.kernel * self.channels_in;
        let block_len = self.kernel * run * LANES;
        let image_in = height * width * self.channels_in;
        let image_out = out_h * out_w * self.channels_out;
        // One image at a time: its input stays in cache while every channel block reads it.
        for (src, dst) in padded
            .data
            .chunks_exact(image_in)
            .zip(output.data.chunks_exact_mut(image_out))
        {
            for (block, weights) in self.weights.chunks_exact(block_len).enumerate() {
                let bias: &[f32; LANES] = self.bias[block * LANES..][..LANES].try_into().unwrap();
                let lanes = LANES.min(self.channels_out - block * LANES);
                let tile = Tile {
                    weights,
                    bias,
                    run,
                    row_step: self.channels_in,
                    segment_step: width * self.channels_in,
                };
                for y in 0..out_h {
                    tile.store_run(
                        src,
                        y * width * self.channels_in,
                        out_w,
                        Destination {
                            values: dst,
                            at: y * out_w * self.channels_out,
                            stride: self.channels_out,
                            block,
                            lanes,
                        },
                        epilogue,
                    );
                }
            }
        }
        output
    }
}

/// One output-channel block's weights and where the rows of its matrix product lie in `src`:
/// output row `r` of a tile starting at `first` reads `run` floats from
/// `first + r·row_step + s·segment_step` for each of the weights' segments `s` (a convolution's
/// kernel rows; one segment for a plain matrix product).
pub(super) struct Tile<'a> {
    /// `[segment][run][LANES]`.
    pub weights: &'a [f32],
    pub bias: &'a [f32; LANES],
    pub run: usize,
    pub row_step: usize,
    pub segment_step: usize,
}

impl Tile<'_> {
    /// The sums of `R` rows (output pixels) × [`LANES`] channels, bias included.
    #[inline(always)]
    pub fn sums<const R: usize>(&self, src: &[f32], first: usize) -> [[f32; LANES]; R] {
        let run = self.run;
        let mut acc = [*self.bias; R];
        for (segment, weights) in self.weights.chunks_exact(run * LANES).enumerate() {
            let start = first + segment * self.segment_step;
            let rows: [&[f32]; R] =
                std::array::from_fn(|r| &src[start + r * self.row_step..][..run]);
            for (j, w) in weights.chunks_exact(LANES).enumerate() {
                let w: &[f32; LANES] = w.try_into().unwrap();
                for r in 0..R {
                    let a = rows[r][j];
                    for lane in 0..LANES {
                        acc[r][lane] += a * w[lane];
                    }
                }
            }
        }
        acc
    }

    /// The sums of `count` consecutive rows from `first` (each `row_step` further on), stored
    /// at `dst`: [`PIXELS`] rows at a time, then pairs, then one.
    #[inline(always)]
    pub fn store_run(
        &self,
        src: &[f32],
        first: usize,
        count: usize,
        dst: Destination<'_>,
        epilogue: Epilogue,
    ) {
        let Destination {
            values,
            at,
            stride,
            block,
            lanes,
        } = dst;
        let mut i = 0;
        while i + PIXELS <= count {
            let sums = self.sums::<PIXELS>(src, first + i * self.row_step);
            store(
                values,
                &sums,
                at + i * stride,
                stride,
                block,
                lanes,
                epilogue,
            );
            i += PIXELS;
        }
        while i + 2 <= count {
            let sums = self.sums::<2>(src, first + i * self.row_step);
            store(
                values,
                &sums,
                at + i * stride,
                stride,
                block,
                lanes,
                epilogue,
            );
            i += 2;
        }
        if i < count {
            let sums = self.sums::<1>(src, first + i * self.row_step);
            store(
                values,
                &sums,
                at + i * stride,
                stride,
                block,
                lanes,
                epilogue,
            );
        }
    }
}

/// Where a run of rows' sums go: row `i` at `at + i·stride`, channel block `block`, of which
/// `lanes` are real channels.
pub(super) struct Destination<'a> {
    pub values: &'a mut [f32],
    pub at: usize,
    pub stride: usize,
    pub block: usize,
    pub lanes: usize,
}

/// Writes `R` pixels' sums of one channel block into NHWC `dst` from `at`.
#[inline(always)]
fn store<const R: usize>(
    dst: &mut [f32],
    sums: &[[f32; LANES]; R],
    at: usize,
    channels: usize,
    block: usize,
    lanes: usize,
    epilogue: Epilogue,
) {
    for (r, sum) in sums.iter().enumerate() {
        let mut values = *sum;
        if epilogue == Epilogue::Gelu {
            for v in &mut values {
                *v = gelu(*v);
            }
        }
        let base = at + r * channels + block * LANES;
        dst[base..base + lanes].copy_from_slice(&values[..lanes]);
    }
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    /// A fixed pseudo-random sequence in `[-0.5, 0.5)` (xorshift).
    pub fn values(count: usize, seed: u64) -> Vec<f32> {
        let mut state = seed.max(1);
        (0..count)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state >> 40) as f32 / (1u64 << 24) as f32 - 0.5
            })
            .collect()
    }

    pub fn activations(
        images: usize,
        height: usize,
        width: usize,
        channels: usize,
        seed: u64,
    ) -> Activations {
        Activations {
            images,
            height,
            width,
            channels,
            data: values(images * height * width * channels, seed),
        }
    }

    /// The definition, in f64: `out[o] = bias[o] + Σ in[i, y+ky−p, x+kx−p] · w[o, i, ky, kx]`.
    pub fn reference(
        x: &Activations,
        w: &[f32],
        bias: &[f32],
        out: usize,
        k: usize,
        pad: usize,
    ) -> Vec<f32> {
        let (h, wd, c) = (x.height, x.width, x.channels);
        let (oh, ow) = (h + 2 * pad + 1 - k, wd + 2 * pad + 1 - k);
        let mut result = Vec::new();
        for n in 0..x.images {
            for oy in 0..oh {
                for ox in 0..ow {
                    for o in 0..out {
                        let mut sum = f64::from(bias[o]);
                        for i in 0..c {
                            for ky in 0..k {
                                for kx in 0..k {
                                    let (iy, ix) =
                                        ((oy + ky).wrapping_sub(pad), (ox + kx).wrapping_sub(pad));
                                    if iy < h && ix < wd {
                                        let v = x.data[((n * h + iy) * wd + ix) * c + i];
                                        sum += f64::from(v)
                                            * f64::from(w[((o * c + i) * k + ky) * k + kx]);
                                    }
                                }
                            }
                        }
                        result.push(sum as f32);
                    }
                }
            }
        }
        result
    }

    pub fn max_difference(a: &[f32], b: &[f32]) -> f32 {
        assert_eq!(a.len(), b.len());
        a.iter()
            .zip(b)
            .map(|(a, b)| (a - b).abs())
            .fold(0.0, f32::max)
    }

    #[test]
    fn the_packed_convolution_is_the_definition() {
        // Odd sizes: a partial channel block (11 = 8 + 3), widths that leave 1, 2 and 3 pixels
        // after the tiles, the whitening conv's 2×2 without padding.
        for (channels_in, channels_out, kernel, padding, height, width) in [
            (3, 24, 2, 0, 32, 32),
            (5, 11, 3, 1, 7, 9),
            (24, 16, 3, 1, 6, 7),
            (2, 8, 3, 0, 5, 10),
        ] {
            let x = activations(2, height, width, channels_in, 1);
            let w = values(channels_out * channels_in * kernel * kernel, 2);
            let bias = values(channels_out, 3);
            let conv = PackedConv::new(
                &w,
                [channels_out, channels_in, kernel, kernel],
                Some(&bias),
                padding,
            )
            .unwrap();
            let got = conv.forward(&x, Epilogue::Linear);
            let want = reference(&x, &w, &bias, channels_out, kernel, padding);
            assert!(
                max_difference(&got.data, &want) < 1e-5,
                "{channels_in}→{channels_out} k{kernel}"
            );
            let with_gelu = conv.forward(&x, Epilogue::Gelu);
            let want: Vec<f32> = want.iter().map(|v| gelu(*v)).collect();
            assert!(max_difference(&with_gelu.data, &want) < 1e-5);
        }
    }

    #[test]
    fn wrong_shapes_are_refused_with_what_was_wrong() {
        let e = PackedConv::new(&[0.0; 5], [1, 1, 2, 2], None, 0).unwrap_err();
        assert!(e.to_string().contains("5 weights"), "{e}");
        let e = PackedConv::new(&[0.0; 6], [1, 1, 2, 3], None, 0).unwrap_err();
        assert!(e.to_string().contains("square"), "{e}");
        let e = PackedConv::new(&[0.0; 4], [1, 1, 2, 2], Some(&[0.0, 0.0]), 0).unwrap_err();
        assert!(e.to_string().contains("bias"), "{e}");
    }
}
