//! The CPU worker pool, coordinator side: helper workers (`pool_helper.rs`), each its own wasm
//! instance holding a copy of the classifier's network, so that batch work on the CPU uses
//! every core. Classify requests go to a helper with room (its outcome is posted from here when
//! the helper answers); batch logits split across the helpers and the engine itself. A helper
//! that dies or cannot hold the network leaves the pool, and its unfinished work is redone by
//! the engine: nothing the visitor asked for is lost.

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use burn::tensor::Device;
use futures::channel::{mpsc, oneshot};
use wasm_bindgen::prelude::*;
use web_sys::{ErrorEvent, MessageEvent, Worker, WorkerOptions, WorkerType};

use super::pool_helper::{HELPER_NAME, memory_bytes, planar_features, planar_logits};
use super::worker::{finish, now_ms, post, queue_in, queue_out, yield_now};
use crate::data::{CifarRecord, IMAGE_BYTES, NUM_CLASSES};
use crate::model::{Classifier, PackedAirbench, ReadbackError};
use crate::protocol::{
    Envelope, Event, HelperReply, HelperRequest, POOL_MEMORY_SHARE, PoolStatus, Request, RequestId,
    SliceProbabilities, bytes_f32, memory_cap, pool_size, split_batch,
};
use crate::train::{EvalBatch, class_probabilities_async};

/// Classify requests one helper holds at once: one at work, one waiting (so it never idles
/// between two), and no more, so that the engine takes its share of a big drop.
const HELPER_QUEUE: usize = 2;
/// How long a network may take to load in every helper before the work goes on without them.
const LOAD_TIMEOUT_MS: f64 = 20_000.0;

/// What the packed network computes for a batch split across the pool.
#[derive(Clone, Copy)]
enum PackedOutput {
    Logits,
    Features,
}

/// Work a helper holds, kept so that the engine can redo it if the helper is lost.
enum Job {
    Classify(Envelope),
    /// A slice of batch work (logits, probabilities): the reply goes to the waiting call.
    Slice(oneshot::Sender<HelperReply>),
}

struct Helper {
    worker: Worker,
    /// Its code has loaded (messages before that would be lost).
    alive: bool,
    /// The network generation it holds.
    loaded: Option<u64>,
    memory_bytes: u64,
    jobs: HashMap<u64, Job>,
    /// Kept alive as long as the worker, and after (`Shared::remove`).
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(ErrorEvent)>,
}

/// The network every worker should hold: its generation and weights file.
struct Current {
    generation: u64,
    name: String,
    weights: Vec<u8>,
}

struct Shared {
    helpers: HashMap<usize, Helper>,
    next_helper: usize,
    next_job: u64,
    current: Option<Current>,
    wanted: usize,
    cores: usize,
    problem: Option<String>,
    /// Where redone work goes: the engine's own request queue.
    requeue: mpsc::UnboundedSender<Envelope>,
}

#[derive(Clone)]
pub struct CpuPool {
    shared: Rc<RefCell<Shared>>,
}

impl CpuPool {
    /// A pool of `wanted` workers (the engine included; `None`: one per core). Helpers start
    /// when the first network is loaded.
    pub fn new(wanted: Option<usize>, requeue: mpsc::UnboundedSender<Envelope>) -> Self {
        let cores = hardware_concurrency();
        CpuPool {
            shared: Rc::new(RefCell::new(Shared {
                helpers: HashMap::new(),
                next_helper: 0,
                next_job: 0,
                current: None,
                wanted: pool_size(wanted, cores),
                cores,
                problem: None,
                requeue,
            })),
        }
    }

    /// The generation of the network the helpers hold or are loading.
    pub fn generation(&self) -> Option<u64> {
        self.shared.borrow().current.as_ref().map(|c| c.generation)
    }

    /// Workers that take work now, the engine included.
    pub fn ready(&self) -> usize {
        1 + self.shared.borrow().ready_helpers().len()
    }

    /// From now on every helper holds `weights` (network `generation`); helpers are started or
    /// stopped to match the pool's size.
    pub fn load(&self, generation: u64, name: String, weights: Vec<u8>) {
        let mut shared = self.shared.borrow_mut();
        shared.current = Some(Current {
            generation,
            name,
            weights,
        });
        let ids: Vec<usize> = shared.helpers.keys().copied().collect();
        for id in ids {
            shared.send_load(id);
        }
        drop(shared);
        self.fit();
    }

    /// No network the helpers can run (WebGPU classifies, or a network the CPU kernels lack):
    /// work stays with the engine.
    pub fn idle(&self, why: &str) {
        let mut shared = self.shared.borrow_mut();
        if shared.current.take().is_some() || shared.problem.is_none() {
            shared.problem = Some(why.to_string());
            shared.post_status();
        }
    }

    /// Changes the pool's size (`None`: one worker per core).
    pub fn resize(&self, wanted: Option<usize>) {
        {
            let mut shared = self.shared.borrow_mut();
            shared.wanted = pool_size(wanted, shared.cores);
            shared.problem = None;
        }
        self.fit();
        self.shared.borrow().post_status();
    }

    /// Starts or stops helpers until there are `wanted - 1` of them, or as many as the device's
    /// memory allows.
    fn fit(&self) {
        let mut shared = self.shared.borrow_mut();
        if shared.current.is_none() {
            return;
        }
        let device = device_memory_bytes();
        let cap = memory_cap(device, memory_bytes());
        let size = shared.wanted.min(cap);
        if size < shared.wanted {
            shared.problem = Some(format!(
                "{} workers of {:.0} MB each would use more than {:.0}% of this device's {:.1} GB: the pool keeps {size}",
                shared.wanted,
                memory_bytes() as f64 / 1e6,
                POOL_MEMORY_SHARE * 100.0,
                device.unwrap_or(0) as f64 / 1e9,
            ));
        }
        while shared.helpers.len() + 1 > size {
            let Some(&id) = shared.helpers.keys().max() else {
                break;
            };
            // Its unfinished work is redone by the engine.
            shared.remove(id, None);
        }
        while shared.helpers.len() + 1 < size {
            let id = shared.next_helper;
            shared.next_helper += 1;
            match spawn(id, &self.shared) {
                Ok(helper) => {
                    shared.helpers.insert(id, helper);
                }
                Err(e) => {
                    shared.problem = Some(format!(
                        "a CPU worker could not start ({e}); the pool has {} of {}",
                        shared.helpers.len() + 1,
                        shared.wanted
                    ));
                    break;
                }
            }
        }
        shared.post_status();
    }

    /// Hands request `id`'s image to a helper with room (its outcome is posted when the helper
    /// answers); gives the image back when none has room.
    pub fn classify(
        &self,
        id: RequestId,
        name: String,
        bytes: Vec<u8>,
    ) -> Option<(String, Vec<u8>)> {
        let mut shared = self.shared.borrow_mut();
        let Some(generation) = shared.current.as_ref().map(|c| c.generation) else {
            return Some((name, bytes));
        };
        let Some(helper) = shared
            .ready_helpers()
            .into_iter()
            .filter(|&(_, jobs)| jobs < HELPER_QUEUE)
            .min_by_key(|&(_, jobs)| jobs)
            .map(|(helper, _)| helper)
        else {
            return Some((name, bytes));
        };
        let job = shared.job_id();
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
        if let Some(helper) = shared.helpers.get_mut(&helper) {
            helper.jobs.insert(job, Job::Classify(envelope));
        }
        None
    }

    /// Logits of 32×32 planar RGB images (3,072 bytes each), split across the helpers that hold
    /// network `generation` and the engine (which runs `packed`, the same network). A slice whose
    /// helper fails is redone here, so the result is always the whole batch's.
    pub async fn logits(
        &self,
        packed: &PackedAirbench,
        generation: u64,
        images: &[u8],
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
        images: &[u8],
    ) -> Vec<f32> {
        self.packed_rows(packed, generation, images, PackedOutput::Features)
            .await
    }

    async fn packed_rows(
        &self,
        packed: &PackedAirbench,
        generation: u64,
        images: &[u8],
        output: PackedOutput,
    ) -> Vec<f32> {
        let count = images.len() / IMAGE_BYTES;
        let slices = split_batch(count, self.helpers_holding(generation).len() + 1);
        let parts: Vec<&[u8]> = slices
            .iter()
            .map(|range| &images[range.start * IMAGE_BYTES..range.end * IMAGE_BYTES])
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
                    let images = part.to_vec();
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
                    (values.len() == part.len() / IMAGE_BYTES * width).then_some(values)
                },
                async |part| {
                    let values = match output {
                        PackedOutput::Logits => planar_logits(packed, part),
                        PackedOutput::Features => planar_features(packed, part),
                    };
                    Ok::<_, std::convert::Infallible>(values.unwrap_or_default())
                },
            )
            .await;
        match rows {
            Ok(parts) => parts.concat(),
            Err(never) => match never {},
        }
    }

    /// Helpers that hold network `generation` and can take a slice now.
    pub fn helpers_holding(&self, generation: u64) -> Vec<usize> {
        let shared = self.shared.borrow();
        match shared.current.as_ref().map(|c| c.generation) {
            Some(g) if g == generation => shared
                .ready_helpers()
                .into_iter()
                .map(|(id, _)| id)
                .collect(),
            _ => Vec::new(),
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
        let images = |records: &[CifarRecord]| -> Vec<u8> {
            records
                .iter()
                .flat_map(|r| r.pixels.iter().copied())
                .collect()
        };
        let parts = self
            .split(
                generation,
                batches,
                |job, records| HelperRequest::Probabilities {
                    job,
                    generation,
                    images: images(records),
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

    /// Helpers whose code has loaded, whatever network they classify with: a training slice
    /// carries its own network.
    pub fn helpers_alive(&self) -> Vec<usize> {
        let shared = self.shared.borrow();
        let mut ids: Vec<usize> = shared
            .helpers
            .iter()
            .filter(|(_, h)| h.alive)
            .map(|(&id, _)| id)
            .collect();
        ids.sort();
        ids
    }

    /// Says on the Speed page why a helper's work was redone (the helper stays).
    pub fn report_problem(&self, problem: String) {
        let mut shared = self.shared.borrow_mut();
        shared.problem = Some(problem);
        shared.post_status();
    }

    /// Sends helper `helper` the slice job `message(job)`; its reply arrives on the receiver
    /// (dropped unanswered if the helper is lost).
    pub(super) fn send_slice(
        &self,
        helper: usize,
        message: impl FnOnce(u64) -> HelperRequest,
    ) -> oneshot::Receiver<HelperReply> {
        let (sender, receiver) = oneshot::channel();
        let mut shared = self.shared.borrow_mut();
        let job = shared.job_id();
        shared.send(helper, &message(job));
        if let Some(h) = shared.helpers.get_mut(&helper) {
            h.jobs.insert(job, Job::Slice(sender));
        }
        receiver
    }

    /// Waits until every helper holds network `generation` (or left the pool), up to a limit.
    pub async fn settled(&self, generation: u64) {
        let start = now_ms();
        while now_ms() - start < LOAD_TIMEOUT_MS {
            let settled = self
                .shared
                .borrow()
                .helpers
                .values()
                .all(|h| h.loaded == Some(generation));
            if settled {
                return;
            }
            yield_now().await;
        }
    }

    /// Test only: makes one helper panic, as a bug would.
    pub fn crash_one(&self) -> bool {
        let shared = self.shared.borrow();
        match shared.helpers.keys().min() {
            Some(&id) => {
                shared.send(id, &HelperRequest::Crash);
                true
            }
            None => false,
        }
    }
}

impl Shared {
    fn job_id(&mut self) -> u64 {
        self.next_job += 1;
        self.next_job
    }

    /// Helpers that hold the current network, with how many jobs each has.
    fn ready_helpers(&self) -> Vec<(usize, usize)> {
        let generation = self.current.as_ref().map(|c| c.generation);
        let mut ready: Vec<(usize, usize)> = self
            .helpers
            .iter()
            .filter(|(_, h)| h.alive && generation.is_some() && h.loaded == generation)
            .map(|(&id, h)| (id, h.jobs.len()))
            .collect();
        ready.sort();
        ready
    }

    fn send(&self, id: usize, message: &HelperRequest) {
        let Some(helper) = self.helpers.get(&id) else {
            return;
        };
        match serde_wasm_bindgen::to_value(message) {
            Ok(value) => {
                if let Err(e) = helper.worker.post_message(&value) {
                    web_sys::console::error_2(&"could not post to a CPU worker".into(), &e);
                }
            }
            Err(e) => web_sys::console::error_1(
                &format!("could not encode a message for a CPU worker: {e}").into(),
            ),
        }
    }

    fn send_load(&mut self, id: usize) {
        let Some(current) = &self.current else {
            return;
        };
        if !self.helpers.get(&id).is_some_and(|h| h.alive) {
            return;
        }
        let message = HelperRequest::Load {
            generation: current.generation,
            name: current.name.clone(),
            weights: current.weights.clone(),
        };
        self.send(id, &message);
    }

    fn on_reply(&mut self, id: usize, reply: HelperReply) {
        match reply {
            HelperReply::Alive => {
                if let Some(helper) = self.helpers.get_mut(&id) {
                    helper.alive = true;
                }
                self.send_load(id);
            }
            HelperReply::Loaded {
                generation,
                problem,
                memory_bytes,
            } => {
                if let Some(problem) = problem {
                    self.remove(
                        id,
                        Some(format!(
                            "a CPU worker could not hold the network: {problem}"
                        )),
                    );
                } else if let Some(helper) = self.helpers.get_mut(&id) {
                    helper.loaded = Some(generation);
                    helper.memory_bytes = memory_bytes;
                }
                self.post_status();
            }
            HelperReply::Classified { job, outcome } => {
                if let Some(Job::Classify(envelope)) = self.take_job(id, job) {
                    finish(envelope.id, outcome);
                }
            }
            HelperReply::Logits { job, .. }
            | HelperReply::Features { job, .. }
            | HelperReply::Probabilities { job, .. }
            | HelperReply::TrainedSlice { job, .. } => {
                if let Some(Job::Slice(sender)) = self.take_job(id, job) {
                    let _ = sender.send(reply);
                }
            }
            HelperReply::Stale { job } => {
                if let Some(job) = self.take_job(id, job) {
                    self.redo(job);
                }
            }
            HelperReply::Died { message } => {
                self.remove(id, Some(format!("a CPU worker stopped: {message}")));
                self.post_status();
            }
        }
    }

    fn take_job(&mut self, id: usize, job: u64) -> Option<Job> {
        self.helpers.get_mut(&id)?.jobs.remove(&job)
    }

    /// The engine does a lost helper's job itself.
    fn redo(&self, job: Job) {
        match job {
            Job::Classify(envelope) => {
                queue_in();
                // Not queued (the engine is stopping): not waiting either.
                if self.requeue.unbounded_send(envelope).is_err() {
                    queue_out();
                }
            }
            // The waiting call computes the slice when its answer is dropped.
            Job::Slice(sender) => drop(sender),
        }
    }

    /// Stops helper `id`; its work is redone by the engine. `problem` says why, for the page.
    fn remove(&mut self, id: usize, problem: Option<String>) {
        let Some(helper) = self.helpers.remove(&id) else {
            return;
        };
        let Helper {
            worker,
            jobs,
            _on_message,
            _on_error,
            ..
        } = helper;
        worker.set_onmessage(None);
        worker.terminate();
        // A lost helper's events may still be queued (its `error` after its `Died`): a dropped
        // handler would throw "closure invoked after being dropped" in the engine, and none would
        // let the error reach the page. So its handlers stay, leaked (bytes per lost helper).
        _on_message.forget();
        _on_error.forget();
        for (_, job) in jobs {
            self.redo(job);
        }
        if let Some(problem) = problem {
            self.problem = Some(format!(
                "{problem}; its work was redone by the engine, and the pool has {} of {} workers",
                self.helpers.len() + 1,
                self.wanted
            ));
        }
    }

    fn post_status(&self) {
        let mut memory = vec![memory_bytes()];
        let mut ids: Vec<&usize> = self.helpers.keys().collect();
        ids.sort();
        memory.extend(ids.iter().map(|id| self.helpers[id].memory_bytes));
        post(&Event::Pool {
            status: PoolStatus {
                wanted: self.wanted,
                ready: 1 + self.ready_helpers().len(),
                cores: self.cores,
                memory_bytes: memory,
                problem: self.problem.clone(),
            },
        });
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

fn spawn(id: usize, shared: &Rc<RefCell<Shared>>) -> Result<Helper, String> {
    let options = WorkerOptions::new();
    options.set_name(&format!("{HELPER_NAME}-{id}"));
    options.set_type(WorkerType::Classic);
    let worker =
        Worker::new_with_options(&own_script_url()?, &options).map_err(|e| format!("{e:?}"))?;
    let on_message =
        {
            let shared = Rc::downgrade(shared);
            Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
                let Some(shared) = shared.upgrade() else {
                    return;
                };
                let reply = serde_wasm_bindgen::from_value::<HelperReply>(event.data())
                    .unwrap_or_else(|e| HelperReply::Died {
                        message: format!("it sent a malformed reply ({e})"),
                    });
                // Replies can arrive while the engine runs a job that borrows the pool: they wait
                // for the next turn of the event loop.
                let Ok(mut shared) = shared.try_borrow_mut() else {
                    let again = Rc::downgrade(&shared);
                    wasm_bindgen_futures::spawn_local(async move {
                        if let Some(shared) = again.upgrade() {
                            shared.borrow_mut().on_reply(id, reply);
                        }
                    });
                    return;
                };
                shared.on_reply(id, reply);
            })
        };
    let on_error = {
        let shared = Rc::downgrade(shared);
        Closure::<dyn FnMut(ErrorEvent)>::new(move |event: ErrorEvent| {
            event.prevent_default();
            let message = event.message();
            let shared = shared.clone();
            // Never inside another borrow: the next turn of the event loop.
            wasm_bindgen_futures::spawn_local(async move {
                if let Some(shared) = shared.upgrade() {
                    shared
                        .borrow_mut()
                        .on_reply(id, HelperReply::Died { message });
                }
            });
        })
    };
    worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
    worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
    Ok(Helper {
        worker,
        alive: false,
        loaded: None,
        memory_bytes: 0,
        jobs: HashMap::new(),
        _on_message: on_message,
        _on_error: on_error,
    })
}

/// The engine's own loader script: helpers run the same code.
fn own_script_url() -> Result<String, String> {
    let scope: web_sys::WorkerGlobalScope = js_sys::global().unchecked_into();
    Ok(scope.location().href())
}

/// `navigator.deviceMemory` in bytes (Chromium; rounded by the browser, at most 8 GB), if said.
fn device_memory_bytes() -> Option<u64> {
    js_sys::Reflect::get(&js_sys::global(), &"navigator".into())
        .and_then(|navigator| js_sys::Reflect::get(&navigator, &"deviceMemory".into()))
        .ok()
        .and_then(|n| n.as_f64())
        .filter(|gb| *gb > 0.0)
        .map(|gb| (gb * (1u64 << 30) as f64) as u64)
}

/// `navigator.hardwareConcurrency` (through `Reflect`: web-sys's `WorkerNavigator` would
/// rebuild every crate that uses web-sys); 1 where the browser does not say.
fn hardware_concurrency() -> usize {
    let cores = js_sys::Reflect::get(&js_sys::global(), &"navigator".into())
        .and_then(|navigator| js_sys::Reflect::get(&navigator, &"hardwareConcurrency".into()))
        .ok()
        .and_then(|n| n.as_f64())
        .unwrap_or(1.0);
    (cores as usize).max(1)
}
