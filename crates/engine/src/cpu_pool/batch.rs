//! The work the pool splits: classify requests to a helper with room, batch logits and
//! features in contiguous slices, evaluation probabilities in whole batches.

use burn::tensor::Device;

use crate::pool_helper::{planar_features, planar_logits};
use crate::worker::yield_now;
use pinhole_compute::data::{CifarRecord, NUM_CLASSES, PlanarImages};
use pinhole_compute::model::{Classifier, PackedAirbench, ReadbackError};
use pinhole_compute::train::{EvalBatch, class_probabilities_async};
use pinhole_core::protocol::{
    Envelope, HelperReply, HelperRequest, Request, RequestId, SliceProbabilities, bytes_f32,
    split_batch,
};

use super::*;

impl CpuPool {
    /// Hands request `id`'s image to a helper with room (its outcome is posted when the helper
    /// answers); gives the image back when none has room.
    pub fn classify(
        &self,
        id: RequestId,
        name: String,
        bytes: Vec<u8>,
    ) -> Option<(String, Vec<u8>)> {
        let mut shared = self.shared.borrow_mut();
        let (Some(generation), Some(helper)) =
            (shared.roster.generation(), shared.roster.helper_with_room())
        else {
            return Some((name, bytes));
        };
        let job = shared.roster.job_id();
        let message = HelperRequest::Classify {
            job,
            generation,
            name: name.clone(),
            bytes: bytes.clone(),
        };
        shared.send(helper, &message);
        let envelope = Envelope {
            id,
            request: Request::Classify { name, bytes },
        };
        // Just found in the roster, and nothing removed it since.
        let _ = shared.roster.give(helper, job, Job::Classify(envelope));
        None
    }

    /// Logits of 32×32 planar RGB images (3,072 bytes each), split across the helpers that hold
    /// network `generation` and the engine (which runs `packed`, the same network). A slice whose
    /// helper fails is redone here, so the result is always the whole batch's.
    pub async fn logits(
        &self,
        packed: &PackedAirbench,
        generation: u64,
        images: &PlanarImages,
    ) -> Vec<f32> {
        self.packed_rows(packed, generation, images, PackedOutput::Logits)
            .await
    }

    /// Pooled features of 32×32 planar RGB images (Teach's views), split like [`Self::logits`]:
    /// `packed` must compute the same features as network `generation` (the caller checks with
    /// `same_features_as`; a taught head does not change them).
    pub async fn features(
        &self,
        packed: &PackedAirbench,
        generation: u64,
        images: &PlanarImages,
    ) -> Vec<f32> {
        self.packed_rows(packed, generation, images, PackedOutput::Features)
            .await
    }

    async fn packed_rows(
        &self,
        packed: &PackedAirbench,
        generation: u64,
        images: &PlanarImages,
        output: PackedOutput,
    ) -> Vec<f32> {
        let slices = split_batch(images.len(), self.helpers_holding(generation).len() + 1);
        let parts: Vec<PlanarImages> = slices
            .into_iter()
            .map(|range| images.slice(range))
            .collect();
        let width = match output {
            PackedOutput::Logits => packed.classes(),
            PackedOutput::Features => packed.feature_width(),
        };
        let rows = self
            .split(
                generation,
                &parts,
                |job, part| {
                    let images = part.clone();
                    match output {
                        PackedOutput::Logits => HelperRequest::Logits {
                            job,
                            generation,
                            images,
                        },
                        PackedOutput::Features => HelperRequest::Features {
                            job,
                            generation,
                            images,
                        },
                    }
                },
                |reply, part| {
                    let values = match (output, reply) {
                        (
                            PackedOutput::Logits,
                            HelperReply::Logits {
                                logits: Ok(values), ..
                            },
                        )
                        | (
                            PackedOutput::Features,
                            HelperReply::Features {
                                features: Ok(values),
                                ..
                            },
                        ) => bytes_f32(&values)?,
                        _ => return None,
                    };
                    // A helper's answer of the wrong size is no answer: redone here.
                    (values.len() == part.len() * width).then_some(values)
                },
                async |part| {
                    Ok::<_, std::convert::Infallible>(match output {
                        PackedOutput::Logits => planar_logits(packed, part),
                        PackedOutput::Features => planar_features(packed, part),
                    })
                },
            )
            .await;
        match rows {
            Ok(parts) => parts.concat(),
            Err(never) => match never {},
        }
    }

    /// An evaluation's batches, one per worker: the engine computes the first with `model`,
    /// helpers that hold network `generation` (the same network) the others, each batch exactly
    /// as one worker would. A batch whose helper fails is redone here.
    pub async fn probabilities(
        &self,
        model: &Classifier,
        device: &Device,
        generation: u64,
        batches: &[&[CifarRecord]],
        tta: bool,
    ) -> Result<EvalBatch, ReadbackError> {
        let parts = self
            .split(
                generation,
                batches,
                |job, records| HelperRequest::Probabilities {
                    job,
                    generation,
                    images: PlanarImages::from_records(records),
                    tta,
                },
                |reply, records| match reply {
                    HelperReply::Probabilities {
                        probabilities: Ok(part),
                        ..
                    } => rows(part, records.len(), tta),
                    _ => None,
                },
                async |records| class_probabilities_async(model, records, tta, device).await,
            )
            .await?;
        let mut all = EvalBatch {
            plain: Vec::new(),
            tta: tta.then(Vec::new),
        };
        for part in parts {
            all.plain.extend(part.plain);
            if let (Some(all), Some(part)) = (all.tta.as_mut(), part.tta) {
                all.extend(part);
            }
        }
        Ok(all)
    }

    /// Batch work in `parts`, in order: the engine computes the first with `local`, helpers that
    /// hold network `generation` the next ones (`request` builds a part's message, `accept` reads
    /// the reply), the engine any part left over or whose helper failed or was lost.
    async fn split<P, T, E>(
        &self,
        generation: u64,
        parts: &[P],
        request: impl Fn(u64, &P) -> HelperRequest,
        accept: impl Fn(HelperReply, &P) -> Option<T>,
        local: impl AsyncFn(&P) -> Result<T, E>,
    ) -> Result<Vec<T>, E> {
        let Some((first, rest)) = parts.split_first() else {
            return Ok(Vec::new());
        };
        let helpers = self.helpers_holding(generation);
        let waiting: Vec<_> = rest
            .iter()
            .enumerate()
            .map(|(i, part)| {
                let reply = helpers
                    .get(i)
                    .map(|&helper| self.send_slice(helper, |job| request(job, part)));
                (part, reply)
            })
            .collect();
        // A message to a nested worker is handed over only when this thread returns to its event
        // loop: without this turn a helper starts when the engine's own part is done (measured:
        // its answer came after the sum of both times, not the larger).
        if waiting.iter().any(|(_, reply)| reply.is_some()) {
            yield_now().await;
        }
        let mut done = vec![local(first).await?];
        for (part, reply) in waiting {
            let from_helper = match reply {
                Some(reply) => reply.await.ok().and_then(|reply| accept(reply, part)),
                None => None,
            };
            done.push(match from_helper {
                Some(result) => result,
                None => local(part).await?,
            });
        }
        Ok(done)
    }
}

/// A helper's flat probabilities as rows; `None` if they do not fit `count` records.
fn rows(part: SliceProbabilities, count: usize, tta: bool) -> Option<EvalBatch> {
    let split = |flat: Vec<f32>| -> Option<Vec<[f32; NUM_CLASSES]>> {
        (flat.len() == count * NUM_CLASSES).then(|| {
            flat.chunks_exact(NUM_CLASSES)
                .map(|row| row.try_into().expect("rows of NUM_CLASSES"))
                .collect()
        })
    };
    let tta = match (tta, part.tta) {
        (true, Some(flat)) => Some(split(flat)?),
        (false, _) => None,
        (true, None) => return None,
    };
    Some(EvalBatch {
        plain: split(part.plain)?,
        tta,
    })
}
