//! Recipe pieces on real CIFAR-10 records.
// Matrix code reads best with explicit indices.
#![allow(clippy::needless_range_loop)]

mod common;

use pinhole_compute::train::{WHITENING_EPS, fit_whitening, patch_covariance};

#[test]
fn whitening_filters_give_patches_identity_covariance_on_real_records() {
    let records = common::records("data_batch_1.bin", 2000);
    let weights = fit_whitening(&records);
    let cov = patch_covariance(&records);
    // The first 12 filters (the rest are their negatives): covariance of their outputs W C Wᵀ.
    let w = |f: usize, i: usize| weights[f * 12 + i] as f64;
    let mut out = [[0f64; 12]; 12];
    for a in 0..12 {
        for b in 0..12 {
            out[a][b] = (0..12)
                .flat_map(|i| (0..12).map(move |j| (i, j)))
                .map(|(i, j)| w(a, i) * cov[i][j] * w(b, j))
                .sum();
        }
    }
    for a in 0..12 {
        for b in 0..12 {
            if a != b {
                assert!(
                    out[a][b].abs() < 1e-3,
                    "off-diagonal ({a},{b}) = {}",
                    out[a][b]
                );
            }
        }
        // Each filter is v/√(λ+ε) for a unit eigenvector v, so its output variance is
        // λ/(λ+ε) = 1 − ε·|w|²: exactly 1 up to the ε that keeps faint directions (JPEG's 4:2:0
        // chroma subsampling left little high-frequency colour in this copy) from exploding.
        let norm2: f64 = (0..12).map(|i| w(a, i) * w(a, i)).sum();
        let expected = 1.0 - WHITENING_EPS * norm2;
        assert!(
            (out[a][a] - expected).abs() < 1e-4 && out[a][a] <= 1.0,
            "variance {a} = {}, expected {expected}",
            out[a][a]
        );
    }
    // Negated copies.
    assert_eq!(weights[12 * 12 + 5], -weights[5]);
}
