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
use std::rc::Rc;

use futures::channel::{mpsc, oneshot};
use wasm_bindgen::prelude::*;
use web_sys::{ErrorEvent, MessageEvent, Worker};

use crate::pool_helper::memory_bytes;
use crate::pool_roster::{Job, Roster};
use crate::worker::{now_ms, yield_now};
use pinhole_core::protocol::{Envelope, HelperReply, HelperRequest, memory_cap};

/// How long a network may take to load in every helper before the work goes on without them.
const LOAD_TIMEOUT_MS: f64 = 20_000.0;

/// What the packed network computes for a batch split across the pool.
#[derive(Clone, Copy)]
enum PackedOutput {
    Logits,
    Features,
}

/// A helper as the page holds it: its worker and the handlers of its events.
struct Handle {
    worker: Worker,
    /// Kept alive as long as the worker, and after (`Shared::remove`).
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(ErrorEvent)>,
}

struct Shared {
    /// Members, their networks and work: the bookkeeping, tested natively.
    roster: Roster<Handle, oneshot::Sender<HelperReply>>,
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
        CpuPool {
            shared: Rc::new(RefCell::new(Shared {
                roster: Roster::new(wanted, hardware_concurrency()),
                requeue,
            })),
        }
    }

    /// The generation of the network the helpers hold or are loading.
    pub fn generation(&self) -> Option<u64> {
        self.shared.borrow().roster.generation()
    }

    /// Workers that take work now, the engine included.
    pub fn ready(&self) -> usize {
        1 + self.shared.borrow().roster.ready_helpers().len()
    }

    /// From now on every helper holds `weights` (network `generation`); helpers are started or
    /// stopped to match the pool's size.
    pub fn load(&self, generation: u64, name: String, weights: Vec<u8>) {
        let mut shared = self.shared.borrow_mut();
        for id in shared.roster.load(generation, name, weights) {
            shared.send_load(id);
        }
        drop(shared);
        self.fit();
    }

    /// No network the helpers can run (WebGPU classifies, or a network the CPU kernels lack):
    /// work stays with the engine.
    pub fn idle(&self, why: &str) {
        let mut shared = self.shared.borrow_mut();
        if shared.roster.idle(why) {
            shared.post_status();
        }
    }

    /// Changes the pool's size (`None`: one worker per core).
    pub fn resize(&self, wanted: Option<usize>) {
        self.shared.borrow_mut().roster.resize(wanted);
        self.fit();
        self.shared.borrow().post_status();
    }

    /// Starts or stops helpers until there are `wanted - 1` of them, or as many as the device's
    /// memory allows.
    fn fit(&self) {
        let mut shared = self.shared.borrow_mut();
        let device = device_memory_bytes();
        let fit = shared
            .roster
            .fit(memory_cap(device, memory_bytes()), device, memory_bytes());
        for id in fit.remove {
            // Its unfinished work is redone by the engine.
            shared.remove(id, None);
        }
        for id in fit.spawn {
            match spawn(id, &self.shared) {
                Ok(helper) => shared.roster.add(id, helper),
                Err(e) => {
                    shared.roster.spawn_failed(&e);
                    break;
                }
            }
        }
        shared.post_status();
    }

    /// Helpers that hold network `generation` and can take a slice now.
    pub fn helpers_holding(&self, generation: u64) -> Vec<usize> {
        self.shared.borrow().roster.helpers_holding(generation)
    }

    /// Helpers whose code has loaded, whatever network they classify with: a training slice
    /// carries its own network.
    pub fn helpers_alive(&self) -> Vec<usize> {
        self.shared.borrow().roster.helpers_alive()
    }

    /// Says on the Speed page why a helper's work was redone (the helper stays).
    pub fn report_problem(&self, problem: String) {
        let mut shared = self.shared.borrow_mut();
        shared.roster.problem = Some(problem);
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
        let job = shared.roster.job_id();
        shared.send(helper, &message(job));
        // A helper already gone drops the sender: the waiting call computes the slice itself.
        let _ = shared.roster.give(helper, job, Job::Slice(sender));
        receiver
    }

    /// Waits until every helper holds network `generation` (or left the pool), up to a limit.
    pub async fn settled(&self, generation: u64) {
        let start = now_ms();
        while now_ms() - start < LOAD_TIMEOUT_MS {
            if self.shared.borrow().roster.settled(generation) {
                return;
            }
            yield_now().await;
        }
    }

    /// Test only: makes one helper panic, as a bug would.
    pub fn crash_one(&self) -> bool {
        let shared = self.shared.borrow();
        match shared.roster.first() {
            Some(id) => {
                shared.send(id, &HelperRequest::Crash);
                true
            }
            None => false,
        }
    }
}
