//! The CPU worker pool: the engine (the coordinator) and its helper workers, each its own wasm
//! instance holding the same network. wasm32's standard library has no threads, so every core
//! gets a worker instead; the coordinator splits batch work across them.

use serde::{Deserialize, Serialize};

use super::Outcome;
use crate::data::PlanarImages;
use crate::model::Preset;

/// Most workers in the pool (the coordinator included): each holds a copy of the engine
/// (about 60 MB with `full`), and few machines that lack WebGPU have more cores than this.
pub const MAX_CPU_WORKERS: usize = 8;

/// The pool's size for `wanted` (the visitor's setting) on a machine with `cores` logical
/// cores: every core by default, always at least the coordinator itself.
pub fn pool_size(wanted: Option<usize>, cores: usize) -> usize {
    wanted.unwrap_or(cores).clamp(1, MAX_CPU_WORKERS)
}

/// Share of the device's memory (`navigator.deviceMemory`) the pool may use in all: the page,
/// the browser and the visitor's other tabs need the rest.
pub const POOL_MEMORY_SHARE: f64 = 0.25;

/// Most workers that fit when each needs `worker_bytes` (the engine's own WebAssembly memory)
/// on a device that reports `device_bytes` (`None`: the browser does not say, no limit).
pub fn memory_cap(device_bytes: Option<u64>, worker_bytes: u64) -> usize {
    match device_bytes {
        Some(device) if worker_bytes > 0 => {
            ((device as f64 * POOL_MEMORY_SHARE / worker_bytes as f64) as usize).max(1)
        }
        _ => MAX_CPU_WORKERS,
    }
}

/// How `count` images split across `workers`: contiguous slices in worker order, sizes differing
/// by at most one (the first ones get the extra), none empty unless there are fewer images than
/// workers. The slices' logits, joined in order, are the whole batch's.
pub fn split_batch(count: usize, workers: usize) -> Vec<std::ops::Range<usize>> {
    let workers = workers.clamp(1, count.max(1));
    let (base, extra) = (count / workers, count % workers);
    let mut start = 0;
    (0..workers)
        .map(|i| {
            let len = base + usize::from(i < extra);
            let range = start..start + len;
            start += len;
            range
        })
        .collect()
}

/// The pool as the page shows it (Speed page).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PoolStatus {
    /// Workers asked for (the setting, or the machine's cores), the coordinator included.
    pub wanted: usize,
    /// Workers that hold the current network and take work, the coordinator included.
    pub ready: usize,
    /// `navigator.hardwareConcurrency`.
    pub cores: usize,
    /// Each worker's WebAssembly memory in bytes, the coordinator first.
    pub memory_bytes: Vec<u64>,
    /// Why the pool is smaller than asked (a helper that failed to start or died), or why it is
    /// idle (WebGPU classifies, a network the CPU kernels cannot run).
    pub problem: Option<String>,
}

/// Coordinator → helper. Messages arrive in order, so work sent after a `Load` uses its network.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HelperRequest {
    /// The network to hold from now on, as a weights file in Pinhole's format.
    Load {
        generation: u64,
        name: String,
        #[serde(with = "serde_bytes")]
        weights: Vec<u8>,
    },
    /// Decode, preprocess and classify one image file with network `generation`.
    Classify {
        job: u64,
        generation: u64,
        name: String,
        #[serde(with = "serde_bytes")]
        bytes: Vec<u8>,
    },
    /// The logits of 32×32 planar RGB images (3,072 bytes each, one after another).
    Logits {
        job: u64,
        generation: u64,
        images: PlanarImages,
    },
    /// The pooled features (what the head reads) of 32×32 planar RGB images: Teach's views,
    /// when the network's backbone is the one being taught on (the coordinator checks).
    Features {
        job: u64,
        generation: u64,
        images: PlanarImages,
    },
    /// Class probabilities (softmax of Burn's forward pass, and of its test-time augmentation
    /// when `tta`) of CIFAR-10 images (3,072 planar bytes each): an evaluation's slice, computed
    /// exactly as the coordinator would.
    Probabilities {
        job: u64,
        generation: u64,
        images: PlanarImages,
        tta: bool,
    },
    /// The gradients of ghost batches of a training batch (data-parallel training): the helper
    /// holds `state` (the coordinator's network, every float tensor flattened as little-endian
    /// f32, `trained` saying which tensors train) in a `preset` network and computes each slice
    /// from that state; `slices` are their record counts, one after another in `images`.
    TrainSlice {
        job: u64,
        preset: Preset,
        #[serde(with = "serde_bytes")]
        state: Vec<u8>,
        trained: Vec<bool>,
        /// 3,072 planar bytes per image, augmented by the coordinator.
        images: PlanarImages,
        #[serde(with = "serde_bytes")]
        labels: Vec<u8>,
        slices: Vec<u32>,
        label_smoothing: f32,
    },
    /// Test only: the helper panics, as a bug would make it.
    Crash,
}

/// A slice's gradients as they travel (the values as little-endian f32 bytes: a JavaScript
/// array of numbers would be many times slower to copy).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct WireSlice {
    pub records: usize,
    pub loss_sum: f64,
    pub correct: usize,
    #[serde(with = "serde_bytes")]
    pub values: Vec<u8>,
    /// SHA-256 (hex, first 16 digits) of the network state the helper held: the coordinator
    /// checks that it is the state it sent.
    pub state_digest: String,
}

/// `values` as little-endian bytes.
pub fn f32_bytes(values: &[f32]) -> Vec<u8> {
    values.iter().flat_map(|v| v.to_le_bytes()).collect()
}

/// Little-endian f32 bytes as values; `None` if the length is not a multiple of 4.
pub fn bytes_f32(bytes: &[u8]) -> Option<Vec<f32>> {
    bytes.len().is_multiple_of(4).then(|| {
        bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect()
    })
}

/// Class probabilities of a slice, rows of `NUM_CLASSES` one after another.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SliceProbabilities {
    pub plain: Vec<f32>,
    pub tta: Option<Vec<f32>>,
}

/// Helper → coordinator.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HelperReply {
    /// The helper's code has loaded and listens.
    Alive,
    /// Network `generation` is held (or could not be), and the helper's memory after it.
    Loaded {
        generation: u64,
        problem: Option<String>,
        memory_bytes: u64,
    },
    Classified {
        job: u64,
        outcome: Outcome,
    },
    /// Logits as little-endian f32 bytes ([`f32_bytes`]): serialised as a JavaScript array of
    /// numbers they cost about 60 µs each on the way (measured: a slice of 32 images' features,
    /// 8,192 values, arrived 0.7 s after it was computed).
    Logits {
        job: u64,
        logits: Result<serde_bytes::ByteBuf, String>,
    },
    /// Features as little-endian f32 bytes, like `Logits`.
    Features {
        job: u64,
        features: Result<serde_bytes::ByteBuf, String>,
    },
    Probabilities {
        job: u64,
        probabilities: Result<SliceProbabilities, String>,
    },
    TrainedSlice {
        job: u64,
        slices: Result<Vec<WireSlice>, String>,
    },
    /// A job for a network the helper does not hold (its `Load` failed): the coordinator does it.
    Stale {
        job: u64,
    },
    /// The helper panicked and stops.
    Died {
        message: String,
    },
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_splits_into_contiguous_near_equal_slices() {
        assert_eq!(split_batch(64, 2), vec![0..32, 32..64]);
        assert_eq!(split_batch(10, 3), vec![0..4, 4..7, 7..10]);
        // Fewer images than workers: one image each, no empty slices.
        assert_eq!(split_batch(2, 4), vec![0..1, 1..2]);
        assert_eq!(split_batch(0, 3), vec![0..0]);
        assert_eq!(split_batch(5, 1), vec![0..5]);
        for (count, workers) in [(1, 1), (63, 4), (512, 8), (7, 7)] {
            let slices = split_batch(count, workers);
            assert_eq!(slices.first().unwrap().start, 0);
            assert_eq!(slices.last().unwrap().end, count);
            assert!(slices.windows(2).all(|w| w[0].end == w[1].start));
            let lens: Vec<_> = slices.iter().map(|r| r.len()).collect();
            assert!(lens.iter().max().unwrap() - lens.iter().min().unwrap() <= 1);
        }
    }

    #[test]
    fn the_pool_keeps_to_a_share_of_the_devices_memory() {
        const MB: u64 = 1 << 20;
        // 8 GB and 100 MB workers: no limit below the cap on workers.
        assert!(memory_cap(Some(8192 * MB), 100 * MB) >= MAX_CPU_WORKERS);
        // A 1 GB phone: 256 MB for the pool, two 100 MB workers.
        assert_eq!(memory_cap(Some(1024 * MB), 100 * MB), 2);
        // Never below the engine itself; no figure, no limit.
        assert_eq!(memory_cap(Some(256 * MB), 100 * MB), 1);
        assert_eq!(memory_cap(None, 100 * MB), MAX_CPU_WORKERS);
        assert_eq!(memory_cap(Some(1024 * MB), 0), MAX_CPU_WORKERS);
    }

    #[test]
    fn the_pool_uses_every_core_within_bounds() {
        assert_eq!(pool_size(None, 2), 2);
        assert_eq!(pool_size(None, 32), MAX_CPU_WORKERS);
        assert_eq!(pool_size(Some(1), 16), 1);
        assert_eq!(pool_size(Some(0), 16), 1);
        assert_eq!(pool_size(Some(3), 2), 3);
    }
}
