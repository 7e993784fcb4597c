//! The CPU worker pool, coordinator side: helper workers (`pool_helper.rs`), each its own wasm
//! instance holding a copy of the classifier's network, so that batch work on the CPU uses
//! every core. Classify requests go to a helper with room (its outcome is posted from here when
//! the helper answers); batch logits split across the helpers and the engine itself. A helper
//! that dies or cannot hold the network leaves the pool, and its unfinished work is redone by
//! the engine: nothing the visitor asked for is lost.
//!
//! `mod.rs`: the pool's members and the network they hold; `batch.rs`: the work it splits
//! (classify requests, logits, features, evaluation probabilities); `helpers.rs`: one helper's
//! life (spawn, load, replies, loss and the redoing of its work).

mod batch;
mod helpers;

use helpers::{device_memory_bytes, hardware_concurrency, spawn};

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;

use futures::channel::{mpsc, oneshot};
use wasm_bindgen::prelude::*;
use web_sys::{ErrorEvent, MessageEvent, Worker};

use crate::pool_helper::memory_bytes;
use crate::worker::{now_ms, yield_now};
use pinhole_core::protocol::{
    Envelope, HelperReply, HelperRequest, POOL_MEMORY_SHARE, memory_cap, pool_size,
};

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
