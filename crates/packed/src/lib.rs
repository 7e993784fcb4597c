//! The folded airbench network on plain f32 buffers, for the CPU: channels-last activations,
//! convolution weights packed once for a register-tiled SIMD kernel, the bias and GELU applied
//! as each tile is stored, GELU after a pool in the pool's pass. Burn's CPU backend converts
//! every layer NCHW → NHWC and back, repacks the weights and runs each element-wise op as its
//! own pass; this does none of that. WebGPU keeps Burn's kernels.

use std::borrow::Cow;

mod conv;
mod gelu;
mod network;
mod pool;
mod winograd;

pub use conv::{Epilogue, PackedConv};
pub use gelu::{erf, gelu};
pub use network::{PackedAirbench, PackedGroup};
pub use pool::max_pool;
pub use winograd::WinogradConv;

/// A packed network could not be built from a folded one.
#[derive(Debug, thiserror::Error)]
pub enum PackError {
    #[error("the packed CPU network needs {0}")]
    Shape(String),
}

/// A batch of images' activations, `[images][height][width][channels]` (NHWC).
#[derive(Clone, Debug, PartialEq)]
pub struct Activations {
    pub images: usize,
    pub height: usize,
    pub width: usize,
    pub channels: usize,
    pub data: Vec<f32>,
}

impl Activations {
    pub fn zeros(images: usize, height: usize, width: usize, channels: usize) -> Self {
        Self {
            images,
            height,
            width,
            channels,
            data: vec![0.0; images * height * width * channels],
        }
    }

    /// This batch with `padding` zero pixels on every side (itself when 0).
    pub fn padded(&self, padding: usize) -> Cow<'_, Activations> {
        if padding == 0 {
            return Cow::Borrowed(self);
        }
        let (height, width) = (self.height + 2 * padding, self.width + 2 * padding);
        Cow::Owned(self.padded_to(padding, height, width))
    }

    /// This batch placed at `(offset, offset)` in zero images of `height × width`.
    pub fn padded_to(&self, offset: usize, height: usize, width: usize) -> Activations {
        let (h, w, c) = (self.height, self.width, self.channels);
        assert!(
            height >= h + offset && width >= w + offset,
            "padding smaller than the image"
        );
        let mut out = Activations::zeros(self.images, height, width, c);
        for (src, dst) in self
            .data
            .chunks_exact(h * w * c)
            .zip(out.data.chunks_exact_mut(height * width * c))
        {
            for y in 0..h {
                let from = &src[y * w * c..][..w * c];
                dst[((y + offset) * width + offset) * c..][..w * c].copy_from_slice(from);
            }
        }
        out
    }

    /// NCHW values (Burn's layout, `[images][channels][height][width]`) as NHWC.
    pub fn from_nchw(values: &[f32], [images, channels, height, width]: [usize; 4]) -> Self {
        assert_eq!(
            values.len(),
            images * channels * height * width,
            "NCHW values"
        );
        let mut out = Activations::zeros(images, height, width, channels);
        let plane = height * width;
        for (src, dst) in values
            .chunks_exact(channels * plane)
            .zip(out.data.chunks_exact_mut(channels * plane))
        {
            for (p, pixel) in dst.chunks_exact_mut(channels).enumerate() {
                for (c, v) in pixel.iter_mut().enumerate() {
                    *v = src[c * plane + p];
                }
            }
        }
        out
    }

    /// Planar RGB bytes (`[3][32][32]` per image, CIFAR-10's record layout) as pixels in
    /// `[0, 1]`, channels-last.
    pub fn from_planar_rgb<'a>(
        images: impl ExactSizeIterator<Item = &'a [u8]>,
        side: usize,
    ) -> Self {
        let count = images.len();
        let plane = side * side;
        let mut out = Activations::zeros(count, side, side, 3);
        for (image, dst) in images.zip(out.data.chunks_exact_mut(plane * 3)) {
            for (p, pixel) in dst.chunks_exact_mut(3).enumerate() {
                for (c, v) in pixel.iter_mut().enumerate() {
                    *v = f32::from(image[c * plane + p]) / 255.0;
                }
            }
        }
        out
    }
}
