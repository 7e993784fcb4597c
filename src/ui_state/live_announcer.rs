//! What a screen reader hears from the webcam: the top class, politely and seldom. Frames arrive
//! many times a second; announcing each would drown everything else, so a new top class is
//! spoken only when it differs from the last one spoken and the last was a while ago.

/// The least time between two announcements (ms).
pub const ANNOUNCE_EVERY_MS: f64 = 3000.0;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct LiveAnnouncer {
    /// The class last announced and when.
    last: Option<(String, f64)>,
}

impl LiveAnnouncer {
    /// The sentence to announce for this frame's top class at `now_ms`, if it is time.
    pub fn next(&mut self, class: &str, probability: f32, now_ms: f64) -> Option<String> {
        if let Some((last, at)) = &self.last
            && (last == class || now_ms - at < ANNOUNCE_EVERY_MS)
        {
            return None;
        }
        self.last = Some((class.to_string(), now_ms));
        Some(format!("Camera: {class}, {:.0}%", 100.0 * probability))
    }

    /// The camera stopped: the next start announces its first class again.
    pub fn reset(&mut self) {
        self.last = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn announces_changes_at_most_every_few_seconds() {
        let mut a = LiveAnnouncer::default();
        assert_eq!(
            a.next("cat", 0.874, 0.0).as_deref(),
            Some("Camera: cat, 87%")
        );
        // The same class, however long: nothing new to say.
        assert_eq!(a.next("cat", 0.9, 10_000.0), None);
        let mut a = LiveAnnouncer::default();
        a.next("cat", 0.9, 0.0);
        // A flicker to another class soon after is not spoken …
        assert_eq!(a.next("dog", 0.5, 500.0), None);
        assert_eq!(a.next("cat", 0.9, 1000.0), None);
        // … a class that holds past the interval is.
        assert_eq!(
            a.next("dog", 0.6, ANNOUNCE_EVERY_MS + 1.0).as_deref(),
            Some("Camera: dog, 60%")
        );
        a.reset();
        assert!(a.next("dog", 0.6, ANNOUNCE_EVERY_MS + 2.0).is_some());
    }
}
