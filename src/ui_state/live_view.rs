//! The webcam loop's state: at most one frame in flight, the frame rate over a window, the
//! latency of the last answer and the latest result.

use std::collections::VecDeque;

use pinhole_core::model::Prediction;
use pinhole_core::protocol::{Heatmap, Outcome, Reply, RequestId};

/// Frames per second are counted over this window (ms).
pub const FPS_WINDOW_MS: f64 = 2000.0;

#[derive(Clone, Debug, PartialEq)]
pub struct LiveResult {
    pub top: Vec<Prediction>,
    pub input_rgba: Vec<u8>,
    pub heatmap: Option<Heatmap>,
    /// Milliseconds the engine spent on the frame.
    pub millis: f64,
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct LiveView {
    /// The frame being classified: (request id, when it was sent).
    in_flight: Option<(RequestId, f64)>,
    /// When the last answers arrived, for the frame rate.
    arrivals: VecDeque<f64>,
    pub fps: f64,
    /// Milliseconds from sending the last answered frame to its answer.
    pub latency_ms: f64,
    pub frames: u64,
    pub latest: Option<LiveResult>,
    /// Why the last frame failed (cleared by the next good one).
    pub error: Option<String>,
}

impl LiveView {
    /// The camera (re)started: nothing in flight, counts from zero.
    pub fn restart(&mut self) {
        *self = LiveView {
            latest: self.latest.take(),
            ..LiveView::default()
        };
    }

    /// The camera stopped: an answer still coming is ignored.
    pub fn stopped(&mut self) {
        self.in_flight = None;
        self.fps = 0.0;
    }

    pub fn can_send(&self) -> bool {
        self.in_flight.is_none()
    }

    pub fn sent(&mut self, id: RequestId, now_ms: f64) {
        self.in_flight = Some((id, now_ms));
    }

    /// The outcome of `Frame` request `id`; false if it is not the frame in flight.
    pub fn apply(&mut self, id: RequestId, outcome: Outcome, now_ms: f64) -> bool {
        let Some((in_flight, sent)) = self.in_flight else {
            return false;
        };
        if in_flight != id {
            return false;
        }
        self.in_flight = None;
        match outcome {
            Ok(Reply::FrameClassified {
                top,
                input_rgba,
                heatmap,
                millis,
            }) => {
                self.latency_ms = now_ms - sent;
                self.frames += 1;
                self.arrivals.push_back(now_ms);
                while self
                    .arrivals
                    .front()
                    .is_some_and(|&t| now_ms - t > FPS_WINDOW_MS)
                {
                    self.arrivals.pop_front();
                }
                self.fps = match (self.arrivals.front(), self.arrivals.len()) {
                    (Some(&first), n) if n > 1 && now_ms > first => {
                        (n - 1) as f64 * 1000.0 / (now_ms - first)
                    }
                    _ => 0.0,
                };
                self.error = None;
                self.latest = Some(LiveResult {
                    top,
                    input_rgba,
                    heatmap,
                    millis,
                });
            }
            Ok(other) => self.error = Some(format!("unexpected answer from the engine: {other:?}")),
            Err(failure) => self.error = Some(failure.message),
        }
        true
    }

    /// The engine stopped: the frame in flight is lost; the next one goes to the new engine.
    pub fn engine_stopped(&mut self) {
        self.in_flight = None;
        self.error = Some("The engine stopped; restarting it…".into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pinhole_core::model::top_k;
    use pinhole_core::protocol::{Failure, FailureKind};

    fn frame() -> Outcome {
        Ok(Reply::FrameClassified {
            top: top_k(&[1.0; 10], 3),
            input_rgba: vec![0; 4096],
            heatmap: None,
            millis: 5.0,
        })
    }

    #[test]
    fn one_frame_in_flight_and_the_rate_over_the_window() {
        let mut live = LiveView::default();
        assert!(live.can_send());
        for i in 0..5u64 {
            live.sent(i + 1, i as f64 * 100.0);
            assert!(!live.can_send());
            assert!(
                !live.apply(99, frame(), 0.0),
                "another id is not the frame in flight"
            );
            assert!(live.apply(i + 1, frame(), i as f64 * 100.0 + 40.0));
        }
        assert_eq!(live.frames, 5);
        assert_eq!(live.latency_ms, 40.0);
        assert!((live.fps - 10.0).abs() < 1e-9, "{}", live.fps);
        live.sent(6, 3000.0);
        live.apply(6, Err(Failure::new(FailureKind::Device, "lost")), 3010.0);
        assert_eq!(live.error.as_deref(), Some("lost"));
        assert_eq!(live.frames, 5, "a failed frame is not counted");
        assert!(live.can_send(), "a failure frees the slot");
    }

    #[test]
    fn a_stop_or_an_engine_restart_frees_the_slot() {
        let mut live = LiveView::default();
        live.sent(1, 0.0);
        live.engine_stopped();
        assert!(live.can_send());
        live.sent(2, 0.0);
        live.stopped();
        assert!(
            !live.apply(2, frame(), 10.0),
            "an answer after the stop is ignored"
        );
        live.restart();
        assert_eq!(live.frames, 0);
    }
}
