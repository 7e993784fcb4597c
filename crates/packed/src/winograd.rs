//! 3×3 convolutions (stride 1, padding 1) by Winograd's minimal filtering F(2×2, 3×3): each
//! 2×2 block of outputs costs 16 multiplies per input channel instead of 36. Inputs are cut into
//! overlapping 4×4 tiles and transformed (`Bᵀ d B`), the 16 transformed positions are 16
//! matrix products `[tiles × in] · [in × out]` on the register-tiled kernel, and each tile's
//! 4×4 products go back to 2×2 outputs (`Aᵀ m A`) with the bias and GELU. The transforms are
//! additions only; in f32 the result differs from the direct sum by rounding (≈1e-6 relative).

use super::conv::{Destination, Epilogue, LANES, Tile};
use super::gelu::gelu;
use super::{Activations, PackError};

/// Transformed positions per tile.
const POSITIONS: usize = 16;
/// Tiles transformed and multiplied together (see [`WinogradConv::forward`]).
const TILE_ROWS: usize = 128;

#[derive(Clone, Debug, PartialEq)]
pub struct WinogradConv {
    channels_in: usize,
    channels_out: usize,
    /// `U = G g Gᵀ` per filter, packed `[position][ceil(out / LANES)][in][LANES]`.
    weights: Vec<f32>,
    /// `[out]`.
    bias: Vec<f32>,
}

impl WinogradConv {
    /// Packs `[out][in][3][3]` weights (`shape`) and an optional bias.
    pub fn new(
        weights: &[f32],
        shape: [usize; 4],
        bias: Option<&[f32]>,
    ) -> Result<Self, PackError> {
        let [channels_out, channels_in, kh, kw] = shape;
        if kh != 3 || kw != 3 || channels_in == 0 || channels_out == 0 {
            return Err(PackError::Shape(format!(
                "a 3×3 kernel for Winograd, not {shape:?}"
            )));
        }
        if weights.len() != shape.iter().product::<usize>() {
            return Err(PackError::Shape(format!(
                "{} weights for a kernel of shape {shape:?}",
                weights.len()
            )));
        }
        if bias.is_some_and(|b| b.len() != channels_out) {
            return Err(PackError::Shape(format!("a bias of {channels_out} values")));
        }
        let blocks = channels_out.div_ceil(LANES);
        let mut packed = vec![0.0; POSITIONS * blocks * channels_in * LANES];
        for o in 0..channels_out {
            for i in 0..channels_in {
                let g: &[f32; 9] = weights[(o * channels_in + i) * 9..][..9]
                    .try_into()
                    .unwrap();
                for (position, u) in filter_transform(g).into_iter().enumerate() {
                    let at =
                        ((position * blocks + o / LANES) * channels_in + i) * LANES + o % LANES;
                    packed[at] = u;
                }
            }
        }
        Ok(Self {
            channels_in,
            channels_out,
            weights: packed,
            bias: bias.map_or_else(|| vec![0.0; channels_out], <[f32]>::to_vec),
        })
    }

    pub fn channels_in(&self) -> usize {
        self.channels_in
    }

    pub fn channels_out(&self) -> usize {
        self.channels_out
    }

    /// The convolution of `input` (which must have [`WinogradConv::channels_in`] channels).
    pub fn forward(&self, input: &Activations, epilogue: Epilogue) -> Activations {
        assert_eq!(
            input.channels, self.channels_in,
            "convolution input channels"
        );
        let tiles = input.height.div_ceil(2) * input.width.div_ceil(2);
        // Images go through together in groups of about TILE_ROWS tiles: enough rows that each
        // block of weights is reused many times, few enough that the group's transformed tiles
        // stay in cache (one 31×31 image is 256 tiles; a 7×7 map only 16).
        let group = (TILE_ROWS / tiles.max(1)).clamp(1, input.images.max(1));
        if group >= input.images {
            return self.forward_group(input, epilogue);
        }
        let image_len = input.height * input.width * input.channels;
        let mut output = Activations::zeros(0, input.height, input.width, self.channels_out);
        for images in input.data.chunks(group * image_len) {
            let part = Activations {
                images: images.len() / image_len,
                data: images.to_vec(),
                ..*input
            };
            let part = self.forward_group(&part, epilogue);
            output.images += part.images;
            output.data.extend(part.data);
        }
        output
    }

    fn forward_group(&self, input: &Activations, epilogue: Epilogue) -> Activations {
        let (height, width, channels) = (input.height, input.width, input.channels);
        let (tiles_y, tiles_x) = (height.div_ceil(2), width.div_ceil(2));
        let rows = input.images * tiles_y * tiles_x;
        // Padding 1 on top and left; bottom and right up to the last tile's 4×4 window.
        let padded = input.padded_to(1, 2 * tiles_y + 2, 2 * tiles_x + 2);
        let transformed = input_transform(&padded, tiles_y, tiles_x);

        // Products per position: `[position][row][blocks · LANES]`.
        let blocks = self.channels_out.div_ceil(LANES);
        let stride = blocks * LANES;
        let mut products = vec![0.0; POSITIONS * rows * stride];
        let zero = [0.0; LANES];
        let block_len = channels * LANES;
        for ((weights, src), dst) in self
            .weights
            .chunks_exact(blocks * block_len)
            .zip(transformed.chunks_exact(rows * channels))
            .zip(products.chunks_exact_mut(rows * stride))
        {
            for (block, weights) in weights.chunks_exact(block_len).enumerate() {
                let tile = Tile {
                    weights,
                    bias: &zero,
                    run: channels,
                    row_step: channels,
                    segment_step: 0,
                };
                let dst = Destination {
                    values: &mut *dst,
                    at: 0,
                    stride,
                    block,
                    lanes: LANES,
                };
                tile.store_run(src, 0, rows, dst, Epilogue::Linear);
            }
        }
        self.output_transform(&products, input.images, height, width, epilogue)
    }

    /// `Aᵀ m A` per tile and channel, plus the bias (and GELU), into NHWC outputs.
    fn output_transform(
        &self,
        products: &[f32],
        images: usize,
        height: usize,
        width: usize,
        epilogue: Epilogue,
    ) -> Activations {
        let (tiles_y, tiles_x) = (height.div_ceil(2), width.div_ceil(2));
        let rows = images * tiles_y * tiles_x;
        let channels = self.channels_out;
        let stride = channels.div_ceil(LANES) * LANES;
        let mut output = Activations::zeros(images, height, width, channels);
        let mut bias = self.bias.clone();
        bias.resize(stride, 0.0);
        let mut out = vec![[0.0; LANES]; 4 * stride / LANES];
        for row in 0..rows {
            // Channels a vector-width block at a time, so the arithmetic is SIMD.
            for (block, bias) in bias.chunks_exact(LANES).enumerate() {
                let m: [[f32; LANES]; POSITIONS] = std::array::from_fn(|p| {
                    products[(p * rows + row) * stride + block * LANES..][..LANES]
                        .try_into()
                        .unwrap()
                });
                // Aᵀ = [[1, 1, 1, 0], [0, 1, −1, −1]], rows then columns.
                let t0: [[f32; LANES]; 4] =
                    std::array::from_fn(|j| add3(&m[j], &m[4 + j], &m[8 + j], 1.0));
                let t1: [[f32; LANES]; 4] =
                    std::array::from_fn(|j| add3(&m[4 + j], &m[8 + j], &m[12 + j], -1.0));
                let ys = [
                    add3(&t0[0], &t0[1], &t0[2], 1.0),
                    add3(&t0[1], &t0[2], &t0[3], -1.0),
                    add3(&t1[0], &t1[1], &t1[2], 1.0),
                    add3(&t1[1], &t1[2], &t1[3], -1.0),
                ];
                for (corner, y) in ys.into_iter().enumerate() {
                    let mut y = y;
                    for (v, b) in y.iter_mut().zip(bias) {
                        *v += b;
                        if epilogue == Epilogue::Gelu {
                            *v = gelu(*v);
                        }
                    }
                    out[corner * stride / LANES + block] = y;
                }
            }
            let (image, tile) = (row / (tiles_y * tiles_x), row % (tiles_y * tiles_x));
            let (y, x) = (2 * (tile / tiles_x), 2 * (tile % tiles_x));
            for (corner, (dy, dx)) in [(0, 0), (0, 1), (1, 0), (1, 1)].into_iter().enumerate() {
                if y + dy < height && x + dx < width {
                    let at = ((image * height + y + dy) * width + x + dx) * channels;
                    let values = out[corner * stride / LANES..][..stride / LANES].as_flattened();
                    output.data[at..at + channels].copy_from_slice(&values[..channels]);
                }
            }
        }
        output
    }
}

/// `a + s·(b + c)`... no: `a + b + c` when `sign` is 1, `a − b − c` when −1, per lane.
#[inline(always)]
fn add3(a: &[f32; LANES], b: &[f32; LANES], c: &[f32; LANES], sign: f32) -> [f32; LANES] {
    std::array::from_fn(|l| a[l] + sign * (b[l] + c[l]))
}

/// `U = G g Gᵀ` for one 3×3 filter `g` (row-major), as 16 values row-major.
fn filter_transform(g: &[f32; 9]) -> [f32; POSITIONS] {
    // G = [[1, 0, 0], [½, ½, ½], [½, −½, ½], [0, 0, 1]].
    let apply = |v: [f32; 3]| {
        [
            v[0],
            (v[0] + v[1] + v[2]) / 2.0,
            (v[0] - v[1] + v[2]) / 2.0,
            v[2],
        ]
    };
    let columns: [[f32; 4]; 3] = std::array::from_fn(|j| apply([g[j], g[3 + j], g[6 + j]]));
    let mut u = [0.0; POSITIONS];
    for i in 0..4 {
        let row = apply([columns[0][i], columns[1][i], columns[2][i]]);
        u[i * 4..i * 4 + 4].copy_from_slice(&row);
    }
    u
}

/// `V = Bᵀ d B` of every 4×4 input tile, `[position][row][channel]`, rows image-major then
/// tile row-major. Channels go a vector-width block at a time (any rest one by one).
#[inline(never)]
fn input_transform(padded: &Activations, tiles_y: usize, tiles_x: usize) -> Vec<f32> {
    let (width, channels) = (padded.width, padded.channels);
    let image_len = padded.height * width * channels;
    let rows = padded.images * tiles_y * tiles_x;
    let mut transformed = vec![0.0; POSITIONS * rows * channels];
    let blocks = channels / LANES;
    let mut row = 0;
    for image in padded.data.chunks_exact(image_len) {
        for ty in 0..tiles_y {
            for tx in 0..tiles_x {
                let at = |p: usize| ((2 * ty + p / 4) * width + 2 * tx + p % 4) * channels;
                for block in 0..blocks {
                    let d: [[f32; LANES]; POSITIONS] = std::array::from_fn(|p| {
                        image[at(p) + block * LANES..][..LANES].try_into().unwrap()
                    });
                    let v = transform_tile(&d);
                    for (p, v) in v.iter().enumerate() {
                        transformed[(p * rows + row) * channels + block * LANES..][..LANES]
                            .copy_from_slice(v);
                    }
                }
                for c in blocks * LANES..channels {
                    let d: [[f32; 1]; POSITIONS] = std::array::from_fn(|p| [image[at(p) + c]]);
                    for (p, v) in transform_tile(&d).iter().enumerate() {
                        transformed[(p * rows + row) * channels + c] = v[0];
                    }
                }
                row += 1;
            }
        }
    }
    transformed
}

/// `Bᵀ d B` for a 4×4 tile of `N` channels (row-major positions), with
/// `Bᵀ = [[1, 0, −1, 0], [0, 1, 1, 0], [0, −1, 1, 0], [0, 1, 0, −1]]`.
#[inline(always)]
fn transform_tile<const N: usize>(d: &[[f32; N]; POSITIONS]) -> [[f32; N]; POSITIONS] {
    let sub = |a: &[f32; N], b: &[f32; N]| -> [f32; N] { std::array::from_fn(|l| a[l] - b[l]) };
    let add = |a: &[f32; N], b: &[f32; N]| -> [f32; N] { std::array::from_fn(|l| a[l] + b[l]) };
    // Bᵀ d: each column j of d.
    let mut t = [[0.0; N]; POSITIONS];
    for j in 0..4 {
        let (d0, d1, d2, d3) = (&d[j], &d[4 + j], &d[8 + j], &d[12 + j]);
        t[j] = sub(d0, d2);
        t[4 + j] = add(d1, d2);
        t[8 + j] = sub(d2, d1);
        t[12 + j] = sub(d1, d3);
    }
    // (Bᵀ d) B: each row i.
    let mut v = [[0.0; N]; POSITIONS];
    for i in 0..4 {
        let (t0, t1, t2, t3) = (&t[4 * i], &t[4 * i + 1], &t[4 * i + 2], &t[4 * i + 3]);
        v[4 * i] = sub(t0, t2);
        v[4 * i + 1] = add(t1, t2);
        v[4 * i + 2] = sub(t2, t1);
        v[4 * i + 3] = sub(t1, t3);
    }
    v
}

#[cfg(test)]
mod tests {
    use super::super::conv::tests::{activations, max_difference, reference, values};
    use super::*;

    #[test]
    fn winograd_equals_the_direct_sum() {
        // Odd and even maps (a last tile half outside), a partial channel block, one pixel,
        // and a batch large enough to be cut into groups (3×3 maps: 4 tiles an image).
        for (channels_in, channels_out, height, width, images) in [
            (24, 64, 31, 31, 1),
            (5, 11, 7, 9, 2),
            (16, 8, 1, 1, 3),
            (8, 16, 3, 3, 70),
            (3, 8, 4, 6, 1),
        ] {
            let x = activations(images, height, width, channels_in, 4);
            let w = values(channels_out * channels_in * 9, 5);
            let bias = values(channels_out, 6);
            let conv =
                WinogradConv::new(&w, [channels_out, channels_in, 3, 3], Some(&bias)).unwrap();
            let got = conv.forward(&x, Epilogue::Linear);
            assert_eq!(
                (got.images, got.height, got.width, got.channels),
                (images, height, width, channels_out)
            );
            let want = reference(&x, &w, &bias, channels_out, 3, 1);
            let error = max_difference(&got.data, &want);
            assert!(
                error < 2e-5,
                "{channels_in}→{channels_out} {height}×{width}: {error}"
            );
            let want: Vec<f32> = want.iter().map(|v| gelu(*v)).collect();
            assert!(max_difference(&conv.forward(&x, Epilogue::Gelu).data, &want) < 2e-5);
        }
    }

    #[test]
    fn only_3x3_kernels_are_accepted() {
        let e = WinogradConv::new(&[0.0; 4], [1, 1, 2, 2], None).unwrap_err();
        assert!(e.to_string().contains("3×3"), "{e}");
    }
}
