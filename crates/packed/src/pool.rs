//! Max-pooling on NHWC activations (square window, stride = window, no padding, floor), with
//! the folded network's per-channel sign and GELU applied in the same pass.

use super::Activations;
use super::gelu::gelu;

/// `gelu(max(window) · sign)` per channel when `gelu`, else the max (and sign) alone.
pub fn max_pool(
    input: &Activations,
    window: usize,
    sign: Option<&[f32]>,
    gelu_after: bool,
) -> Activations {
    let (out_h, out_w) = (input.height / window, input.width / window);
    let channels = input.channels;
    let mut output = Activations::zeros(input.images, out_h, out_w, channels);
    let image_in = input.height * input.width * channels;
    let image_out = out_h * out_w * channels;
    let mut best = vec![f32::NEG_INFINITY; channels];
    for (src, dst) in input
        .data
        .chunks_exact(image_in)
        .zip(output.data.chunks_exact_mut(image_out))
    {
        for y in 0..out_h {
            for x in 0..out_w {
                best.fill(f32::NEG_INFINITY);
                for dy in 0..window {
                    for dx in 0..window {
                        let at = ((y * window + dy) * input.width + x * window + dx) * channels;
                        for (b, v) in best.iter_mut().zip(&src[at..at + channels]) {
                            *b = b.max(*v);
                        }
                    }
                }
                let out = &mut dst[(y * out_w + x) * channels..][..channels];
                out.copy_from_slice(&best);
                if let Some(sign) = sign {
                    for (o, s) in out.iter_mut().zip(sign) {
                        *o *= s;
                    }
                }
                if gelu_after {
                    for o in out.iter_mut() {
                        *o = gelu(*o);
                    }
                }
            }
        }
    }
    output
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pools_take_the_max_then_the_sign_then_gelu() {
        // One image, 3×3, two channels: channel 0 counts up, channel 1 counts down.
        let data: Vec<f32> = (0..9).flat_map(|i| [i as f32, -(i as f32)]).collect();
        let x = Activations {
            images: 1,
            height: 3,
            width: 3,
            channels: 2,
            data,
        };
        // Floor: a 2-window over 3 pixels keeps one output; it reads pixels 0, 1, 3, 4.
        let pooled = max_pool(&x, 2, None, false);
        assert_eq!(
            (pooled.height, pooled.width, pooled.data.clone()),
            (1, 1, vec![4.0, 0.0])
        );
        let signed = max_pool(&x, 2, Some(&[-1.0, 1.0]), true);
        assert_eq!(signed.data, vec![gelu(-4.0), gelu(0.0)]);
        assert_eq!(max_pool(&x, 3, None, false).data, vec![8.0, 0.0]);
    }
}
