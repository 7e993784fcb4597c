//! The frozen whitening layer: a 2×2 conv whose filters are the eigenvectors of the 2×2×3 patch
//! covariance scaled by 1/√eigenvalue (and their negatives), so its output patches have
//! identity covariance. Burn has no `eigh`; the 12×12 problem is solved with Jacobi rotations.

// Matrix code reads best with explicit indices.
#![allow(clippy::needless_range_loop)]

use crate::data::{CifarRecord, IMAGE_SIDE};
use crate::model::{CIFAR_MEAN, CIFAR_STD};

/// Added to each eigenvalue before the inverse square root (airbench's value).
pub const WHITENING_EPS: f64 = 5e-4;
const PATCH: usize = 12;

/// Mean-centred covariance of every 2×2 patch (3 channels, normalised pixels), 12×12.
/// Patch vector order is channel-major then row, column: it matches a conv weight `[3, 2, 2]`.
pub fn patch_covariance(records: &[CifarRecord]) -> [[f64; PATCH]; PATCH] {
    let plane = IMAGE_SIDE * IMAGE_SIDE;
    let mut sum = [0f64; PATCH];
    let mut outer = [[0f64; PATCH]; PATCH];
    let mut count = 0f64;
    let mut patch = [0f64; PATCH];
    for record in records {
        for y in 0..IMAGE_SIDE - 1 {
            for x in 0..IMAGE_SIDE - 1 {
                for c in 0..3 {
                    for (k, (dy, dx)) in [(0, 0), (0, 1), (1, 0), (1, 1)].into_iter().enumerate() {
                        let v = record.pixels[c * plane + (y + dy) * IMAGE_SIDE + x + dx] as f64
                            / 255.0;
                        patch[c * 4 + k] = (v - CIFAR_MEAN[c] as f64) / CIFAR_STD[c] as f64;
                    }
                }
                for i in 0..PATCH {
                    sum[i] += patch[i];
                    for j in i..PATCH {
                        outer[i][j] += patch[i] * patch[j];
                    }
                }
                count += 1.0;
            }
        }
    }
    let mut cov = [[0f64; PATCH]; PATCH];
    for i in 0..PATCH {
        for j in i..PATCH {
            let c = outer[i][j] / count - (sum[i] / count) * (sum[j] / count);
            cov[i][j] = c;
            cov[j][i] = c;
        }
    }
    cov
}

/// Eigenvalues and eigenvectors (as columns) of a symmetric matrix, by cyclic Jacobi.
fn symmetric_eigen(mut a: [[f64; PATCH]; PATCH]) -> ([f64; PATCH], [[f64; PATCH]; PATCH]) {
    let mut v = [[0f64; PATCH]; PATCH];
    for (i, row) in v.iter_mut().enumerate() {
        row[i] = 1.0;
    }
    for _sweep in 0..100 {
        let off: f64 = (0..PATCH)
            .flat_map(|i| (0..PATCH).filter(move |&j| j != i).map(move |j| (i, j)))
            .map(|(i, j)| a[i][j] * a[i][j])
            .sum();
        if off < 1e-22 {
            break;
        }
        for p in 0..PATCH {
            for q in p + 1..PATCH {
                if a[p][q].abs() < 1e-300 {
                    continue;
                }
                let theta = (a[q][q] - a[p][p]) / (2.0 * a[p][q]);
                // The smaller root of t² + 2θt − 1 = 0 (signum(0) is 1 here).
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..PATCH {
                    let (akp, akq) = (a[k][p], a[k][q]);
                    a[k][p] = c * akp - s * akq;
                    a[k][q] = s * akp + c * akq;
                }
                for k in 0..PATCH {
                    let (apk, aqk) = (a[p][k], a[q][k]);
                    a[p][k] = c * apk - s * aqk;
                    a[q][k] = s * apk + c * aqk;
                }
                for row in v.iter_mut() {
                    let (vkp, vkq) = (row[p], row[q]);
                    row[p] = c * vkp - s * vkq;
                    row[q] = s * vkp + c * vkq;
                }
            }
        }
    }
    let mut values = [0f64; PATCH];
    for (i, value) in values.iter_mut().enumerate() {
        *value = a[i][i];
    }
    (values, v)
}

/// Whitening conv weights `[24, 3, 2, 2]` (flattened, row-major) from training records.
pub fn fit_whitening(records: &[CifarRecord]) -> Vec<f32> {
    let (values, vectors) = symmetric_eigen(patch_covariance(records));
    let mut weights = vec![0f32; 2 * PATCH * PATCH];
    for e in 0..PATCH {
        let scale = 1.0 / (values[e].max(0.0) + WHITENING_EPS).sqrt();
        for i in 0..PATCH {
            let w = (vectors[i][e] * scale) as f32;
            weights[e * PATCH + i] = w;
            weights[(PATCH + e) * PATCH + i] = -w;
        }
    }
    weights
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jacobi_diagonalises_a_known_matrix() {
        let mut a = [[0f64; PATCH]; PATCH];
        for i in 0..PATCH {
            a[i][i] = 2.0 + i as f64;
            if i + 1 < PATCH {
                a[i][i + 1] = 0.5;
                a[i + 1][i] = 0.5;
            }
        }
        let (values, vectors) = symmetric_eigen(a);
        // A v = λ v for every pair (which all-zero vectors would also pass)...
        for e in 0..PATCH {
            for i in 0..PATCH {
                let av: f64 = (0..PATCH).map(|k| a[i][k] * vectors[k][e]).sum();
                assert!((av - values[e] * vectors[i][e]).abs() < 1e-9);
            }
        }
        // ...and the vectors are orthonormal: VᵀV = I.
        for e in 0..PATCH {
            for f in 0..PATCH {
                let dot: f64 = (0..PATCH).map(|k| vectors[k][e] * vectors[k][f]).sum();
                let expected = if e == f { 1.0 } else { 0.0 };
                assert!((dot - expected).abs() < 1e-9, "v{e}·v{f} = {dot}");
            }
        }
        // The eigenvalues sum to the trace.
        let trace: f64 = (0..PATCH).map(|i| a[i][i]).sum();
        assert!((values.iter().sum::<f64>() - trace).abs() < 1e-9);
    }
}
