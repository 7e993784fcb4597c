//! The CPU pool's bookkeeping, without a browser: which helpers there are, which network each
//! holds, the work each has in hand, how many the pool should have, and what the Speed page is
//! told. `cpu_pool/` drives it with real workers in the page; here it is a plain state machine,
//! so its rules are unit-tested natively.
//!
//! `H` is a helper's handle (the page's `Worker` and its event handlers), `S` where a slice's
//! reply goes (the page's one-shot channel): the roster only stores and returns them.

use std::collections::{BTreeMap, HashMap};

use pinhole_core::protocol::{Envelope, HelperRequest, POOL_MEMORY_SHARE, PoolStatus, pool_size};

/// Classify requests one helper holds at once: one at work, one waiting (so it never idles
/// between two), and no more, so that the engine takes its share of a big drop.
pub const HELPER_QUEUE: usize = 2;

/// Work a helper holds, kept so that the engine can redo it if the helper is lost.
pub enum Job<S> {
    Classify(Envelope),
    /// A slice of batch work (logits, probabilities): the reply goes to the waiting call.
    Slice(S),
}

pub struct Member<H, S> {
    pub handle: H,
    /// Its code has loaded (messages before that would be lost).
    pub alive: bool,
    /// The network generation it holds.
    pub loaded: Option<u64>,
    pub memory_bytes: u64,
    jobs: HashMap<u64, Job<S>>,
}

impl<H, S> Member<H, S> {
    /// The work it held, for the engine to redo.
    pub fn into_jobs(self) -> (H, Vec<Job<S>>) {
        (self.handle, self.jobs.into_values().collect())
    }
}

/// The network every worker should hold: its generation and weights file.
struct Current {
    generation: u64,
    name: String,
    weights: Vec<u8>,
}

/// How the pool's membership should change.
#[derive(Debug, PartialEq, Eq)]
pub struct Fit {
    /// Helpers to stop (their work redone by the engine), highest id first.
    pub remove: Vec<usize>,
    /// Ids for helpers to start.
    pub spawn: Vec<usize>,
}

pub struct Roster<H, S> {
    /// By id: iteration in id order, so every list the roster gives is in id order.
    helpers: BTreeMap<usize, Member<H, S>>,
    next_helper: usize,
    next_job: u64,
    current: Option<Current>,
    /// Workers wanted, the engine included.
    wanted: usize,
    cores: usize,
    /// Why the pool is smaller than wanted or work was redone, for the Speed page.
    pub problem: Option<String>,
}

impl<H, S> Roster<H, S> {
    /// A pool of `wanted` workers (the engine included; `None`: one per core).
    pub fn new(wanted: Option<usize>, cores: usize) -> Self {
        Roster {
            helpers: BTreeMap::new(),
            next_helper: 0,
            next_job: 0,
            current: None,
            wanted: pool_size(wanted, cores),
            cores,
            problem: None,
        }
    }

    pub fn job_id(&mut self) -> u64 {
        self.next_job += 1;
        self.next_job
    }

    /// The generation of the network the helpers hold or are loading.
    pub fn generation(&self) -> Option<u64> {
        self.current.as_ref().map(|c| c.generation)
    }

    pub fn member(&self, id: usize) -> Option<&Member<H, S>> {
        self.helpers.get(&id)
    }

    /// Helpers that hold the current network, with how many jobs each has, in id order.
    pub fn ready_helpers(&self) -> Vec<(usize, usize)> {
        let Some(generation) = self.generation() else {
            return Vec::new();
        };
        self.helpers
            .iter()
            .filter(|(_, h)| h.alive && h.loaded == Some(generation))
            .map(|(&id, h)| (id, h.jobs.len()))
            .collect()
    }

    /// Helpers that hold network `generation` and can take a slice now.
    pub fn helpers_holding(&self, generation: u64) -> Vec<usize> {
        if self.generation() != Some(generation) {
            return Vec::new();
        }
        self.ready_helpers().into_iter().map(|(id, _)| id).collect()
    }

    /// Helpers whose code has loaded, whatever network they hold (a training slice carries its
    /// own network).
    pub fn helpers_alive(&self) -> Vec<usize> {
        self.helpers
            .iter()
            .filter(|(_, h)| h.alive)
            .map(|(&id, _)| id)
            .collect()
    }

    /// The ready helper with the fewest classify requests, if one has room.
    pub fn helper_with_room(&self) -> Option<usize> {
        self.ready_helpers()
            .into_iter()
            .filter(|&(_, jobs)| jobs < HELPER_QUEUE)
            .min_by_key(|&(_, jobs)| jobs)
            .map(|(id, _)| id)
    }

    /// Whether every helper holds network `generation`.
    pub fn settled(&self, generation: u64) -> bool {
        self.helpers.values().all(|h| h.loaded == Some(generation))
    }

    /// From now on every helper holds `weights` (network `generation`); returns the helpers to
    /// send it to now (those still starting get it when alive).
    pub fn load(&mut self, generation: u64, name: String, weights: Vec<u8>) -> Vec<usize> {
        self.current = Some(Current {
            generation,
            name,
            weights,
        });
        self.helpers_alive()
    }

    /// No network the helpers can run: work stays with the engine. Whether the page should be
    /// told (the first time, or a change).
    pub fn idle(&mut self, why: &str) -> bool {
        if self.current.take().is_some() || self.problem.is_none() {
            self.problem = Some(why.to_string());
            return true;
        }
        false
    }

    /// Changes the pool's size (`None`: one worker per core).
    pub fn resize(&mut self, wanted: Option<usize>) {
        self.wanted = pool_size(wanted, self.cores);
        self.problem = None;
    }

    /// What to stop and start so the pool has `wanted` workers, or as many as `cap` allows (the
    /// device's memory); nothing while there is no network to hold. Says why when capped.
    pub fn fit(&mut self, cap: usize, device_bytes: Option<u64>, worker_bytes: u64) -> Fit {
        if self.current.is_none() {
            return Fit {
                remove: Vec::new(),
                spawn: Vec::new(),
            };
        }
        let size = self.wanted.min(cap).max(1);
        if size < self.wanted {
            self.problem = Some(format!(
                "{} workers of {:.0} MB each would use more than {:.0}% of this device's {:.1} GB: the pool keeps {size}",
                self.wanted,
                worker_bytes as f64 / 1e6,
                POOL_MEMORY_SHARE * 100.0,
                device_bytes.unwrap_or(0) as f64 / 1e9,
            ));
        }
        let helpers = size - 1;
        let remove = self
            .helpers
            .keys()
            .rev()
            .take(self.helpers.len().saturating_sub(helpers));
        let remove: Vec<usize> = remove.copied().collect();
        let spawn = (self.next_helper..)
            .take(helpers.saturating_sub(self.helpers.len()))
            .collect();
        Fit { remove, spawn }
    }

    /// Helper `id` started (its handle); it takes work once it says it is alive.
    pub fn add(&mut self, id: usize, handle: H) {
        self.next_helper = self.next_helper.max(id + 1);
        self.helpers.insert(
            id,
            Member {
                handle,
                alive: false,
                loaded: None,
                memory_bytes: 0,
                jobs: HashMap::new(),
            },
        );
    }

    /// A helper could not start: the pool stays smaller.
    pub fn spawn_failed(&mut self, error: &str) {
        self.problem = Some(format!(
            "a CPU worker could not start ({error}); the pool has {} of {}",
            self.helpers.len() + 1,
            self.wanted
        ));
    }

    /// Helper `id` is alive: the message that gives it the current network, if there is one.
    pub fn alive(&mut self, id: usize) -> Option<HelperRequest> {
        self.helpers.get_mut(&id)?.alive = true;
        self.load_message(id)
    }

    /// The message that gives alive helper `id` the current network.
    pub fn load_message(&self, id: usize) -> Option<HelperRequest> {
        let current = self.current.as_ref()?;
        self.helpers.get(&id).filter(|h| h.alive)?;
        Some(HelperRequest::Load {
            generation: current.generation,
            name: current.name.clone(),
            weights: current.weights.clone(),
        })
    }

    /// Helper `id` holds network `generation` (using `memory_bytes`).
    pub fn loaded(&mut self, id: usize, generation: u64, memory_bytes: u64) {
        if let Some(helper) = self.helpers.get_mut(&id) {
            helper.loaded = Some(generation);
            helper.memory_bytes = memory_bytes;
        }
    }

    /// Helper `id` holds `job` now.
    pub fn give(&mut self, id: usize, job_id: u64, job: Job<S>) -> Result<(), Job<S>> {
        match self.helpers.get_mut(&id) {
            Some(helper) => {
                helper.jobs.insert(job_id, job);
                Ok(())
            }
            None => Err(job),
        }
    }

    /// The job helper `id` answered, if it still holds it.
    pub fn take_job(&mut self, id: usize, job: u64) -> Option<Job<S>> {
        self.helpers.get_mut(&id)?.jobs.remove(&job)
    }

    /// Helper `id` leaves the pool; returned so the caller stops it and redoes its work.
    /// `problem` says why, for the page.
    pub fn remove(&mut self, id: usize, problem: Option<String>) -> Option<Member<H, S>> {
        let helper = self.helpers.remove(&id)?;
        if let Some(problem) = problem {
            self.problem = Some(format!(
                "{problem}; its work was redone by the engine, and the pool has {} of {} workers",
                self.helpers.len() + 1,
                self.wanted
            ));
        }
        Some(helper)
    }

    /// The pool as the Speed page shows it; `own_bytes` is the engine's own memory.
    pub fn status(&self, own_bytes: u64) -> PoolStatus {
        let mut memory = vec![own_bytes];
        memory.extend(self.helpers.values().map(|h| h.memory_bytes));
        PoolStatus {
            wanted: self.wanted,
            ready: 1 + self.ready_helpers().len(),
            cores: self.cores,
            memory_bytes: memory,
            problem: self.problem.clone(),
        }
    }

    /// The lowest helper id (the test fault crashes it).
    pub fn first(&self) -> Option<usize> {
        self.helpers.keys().next().copied()
    }
}

#[cfg(test)]
mod tests;
