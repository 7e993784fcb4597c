use super::*;
use pinhole_core::protocol::Request;

/// A roster whose handles are names and whose slice replies are numbers.
type Test = Roster<&'static str, u32>;

fn classify(id: u64) -> Job<u32> {
    Job::Classify(Envelope {
        id,
        request: Request::Classify {
            name: format!("{id}.png"),
            bytes: vec![1, 2, 3],
        },
    })
}

/// A pool of `wanted` with every helper started, alive and holding network 1.
fn pool(wanted: usize) -> Test {
    let mut roster = Test::new(Some(wanted), 8);
    roster.load(1, "fast.bin".into(), vec![7]);
    let fit = roster.fit(usize::MAX, None, 0);
    for id in fit.spawn {
        roster.add(id, "helper");
        assert!(matches!(
            roster.alive(id),
            Some(HelperRequest::Load { generation: 1, .. })
        ));
        roster.loaded(id, 1, 100 + id as u64);
    }
    roster
}

#[test]
fn a_helper_takes_work_only_once_alive_and_holding_the_current_network() {
    let mut roster = Test::new(Some(3), 8);
    // No network yet: nothing to start.
    assert_eq!(roster.fit(usize::MAX, None, 0).spawn, Vec::<usize>::new());
    assert!(roster.load(1, "fast.bin".into(), vec![]).is_empty());
    let fit = roster.fit(usize::MAX, None, 0);
    assert_eq!(fit.spawn, [0, 1]);
    roster.add(0, "a");
    roster.add(1, "b");
    assert!(roster.ready_helpers().is_empty(), "still starting");
    assert!(roster.alive(0).is_some());
    assert!(
        roster.ready_helpers().is_empty(),
        "alive, network not loaded"
    );
    roster.loaded(0, 1, 10);
    assert_eq!(roster.helpers_holding(1), [0]);
    assert!(roster.helpers_holding(2).is_empty());
    assert!(!roster.settled(1), "helper 1 has not loaded");
    // A new network: the alive helpers are sent it, and take no work until they hold it.
    assert_eq!(roster.load(2, "full.bin".into(), vec![]), [0]);
    assert!(roster.helpers_holding(2).is_empty());
    assert!(
        roster.helpers_holding(1).is_empty(),
        "network 1 is no longer current"
    );
    roster.loaded(0, 2, 10);
    assert_eq!(roster.helpers_holding(2), [0]);
    assert_eq!(roster.helpers_alive(), [0]);
}

#[test]
fn classify_requests_go_to_the_least_busy_helper_up_to_its_queue() {
    let mut roster = pool(3);
    let mut given = Vec::new();
    while let Some(helper) = roster.helper_with_room() {
        let job = roster.job_id();
        roster.give(helper, job, classify(job)).ok().unwrap();
        given.push(helper);
    }
    // Alternating, two each (HELPER_QUEUE), then the engine keeps the rest.
    assert_eq!(given, [0, 1, 0, 1]);
    assert_eq!(
        roster.ready_helpers(),
        [(0, HELPER_QUEUE), (1, HELPER_QUEUE)]
    );
    // An answer frees room; a second answer to the same job (a stale duplicate) finds nothing.
    assert!(matches!(roster.take_job(1, 2), Some(Job::Classify(e)) if e.id == 2));
    assert!(roster.take_job(1, 2).is_none());
    assert_eq!(roster.helper_with_room(), Some(1));
}

#[test]
fn a_lost_helper_returns_all_its_work_and_the_page_is_told() {
    let mut roster = pool(3);
    for job in 1..=2 {
        roster.give(0, job, classify(job)).ok().unwrap();
    }
    roster.give(0, 3, Job::Slice(33)).ok().unwrap();
    let lost = roster
        .remove(0, Some("a CPU worker stopped: out of memory".into()))
        .unwrap();
    let (handle, jobs) = lost.into_jobs();
    assert_eq!(handle, "helper");
    let mut classify_ids: Vec<u64> = jobs
        .iter()
        .filter_map(|j| match j {
            Job::Classify(e) => Some(e.id),
            Job::Slice(_) => None,
        })
        .collect();
    classify_ids.sort();
    assert_eq!(classify_ids, [1, 2]);
    assert!(jobs.iter().any(|j| matches!(j, Job::Slice(33))));
    let problem = roster.problem.clone().unwrap();
    assert!(
        problem.contains("out of memory") && problem.contains("the pool has 2 of 3 workers"),
        "{problem}"
    );
    // Work for a helper that is gone comes back to the caller.
    assert!(matches!(
        roster.give(0, 4, classify(4)),
        Err(Job::Classify(_))
    ));
    assert!(roster.remove(0, None).is_none());
}

#[test]
fn the_pool_fits_its_size_and_the_memory_cap() {
    let mut roster = pool(4);
    assert_eq!(
        roster.status(0).memory_bytes.len(),
        4,
        "the engine and three helpers"
    );
    // The device's memory allows two workers: the highest ids stop first, and the page is told.
    let fit = roster.fit(2, Some(4 << 30), 300_000_000);
    assert_eq!(fit.spawn, Vec::<usize>::new());
    assert_eq!(fit.remove, [2, 1]);
    let problem = roster.problem.clone().unwrap();
    assert!(problem.contains("the pool keeps 2"), "{problem}");
    for id in fit.remove {
        roster.remove(id, None);
    }
    // Grown again: new ids, never a lost helper's.
    roster.resize(Some(3));
    assert_eq!(roster.problem, None);
    let fit = roster.fit(usize::MAX, None, 0);
    assert_eq!(fit.spawn, [3]);
    roster.add(3, "new");
    roster.spawn_failed("quota");
    assert!(
        roster
            .problem
            .clone()
            .unwrap()
            .contains("the pool has 3 of 3")
    );
    // One worker (the engine alone): no helpers at all.
    roster.resize(Some(1));
    assert_eq!(roster.fit(usize::MAX, None, 0).remove, [3, 0]);
}

#[test]
fn the_status_lists_every_worker_in_order_and_an_idle_pool_is_said_once() {
    let roster = pool(3);
    let status = roster.status(50);
    assert_eq!(status.memory_bytes, [50, 100, 101]);
    assert_eq!((status.wanted, status.ready, status.cores), (3, 3, 8));
    let mut roster = roster;
    assert!(roster.idle("WebGPU classifies"));
    assert!(!roster.idle("WebGPU classifies"), "said once");
    assert_eq!(roster.generation(), None);
    assert!(roster.ready_helpers().is_empty());
    assert_eq!(roster.first(), Some(0));
}
