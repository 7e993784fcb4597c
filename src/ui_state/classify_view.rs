//! The uploaded images, newest first, with what became of each and of its saliency map. Object
//! URLs (thumbnails, the 32×32 input) are made and revoked through [`ObjectUrls`], so that a
//! removed result releases its URLs and a result removed while pending never makes one.

use std::collections::HashMap;

use pinhole_core::model::Prediction;
use pinhole_core::protocol::{self, Heatmap, Reply, RequestId};

/// Makes and releases `blob:` URLs (the browser's `URL.createObjectURL`; a fake in tests).
pub trait ObjectUrls {
    fn create(&mut self, bytes: &[u8], mime: &str) -> Option<String>;
    fn revoke(&mut self, url: &str);
}

/// One image the user gave, and what became of it.
#[derive(Clone, Debug, PartialEq)]
pub struct ImageResult {
    /// The id of its `Classify` request.
    pub id: RequestId,
    pub name: String,
    /// Object URL of the user's file, for the thumbnail.
    pub thumbnail: Option<String>,
    pub status: ImageStatus,
}

#[derive(Clone, Debug, PartialEq)]
/// Where an uploaded image stands: classifying, classified, or refused.
pub enum ImageStatus {
    Pending,
    Done {
        top: Vec<Prediction>,
        logits: Vec<f32>,
        /// Object URL of the 32×32 PNG the model saw.
        input_url: Option<String>,
        /// The same 32×32 image, planar RGB, for saliency requests.
        pixels: Vec<u8>,
        millis: f64,
    },
    Failed(String),
}

/// A saliency request for an uploaded image and what became of it.
#[derive(Clone, Debug, PartialEq)]
pub enum Explanation {
    Pending,
    Done(Heatmap),
    Failed(String),
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct ClassifyView {
    pub results: Vec<ImageResult>,
    /// Saliency of uploaded images, by result id.
    pub explanations: HashMap<RequestId, Explanation>,
}

impl ClassifyView {
    /// A new image, waiting for its result (shown first).
    pub fn add(&mut self, id: RequestId, name: String, thumbnail: Option<String>) {
        self.results.insert(
            0,
            ImageResult {
                id,
                name,
                thumbnail,
                status: ImageStatus::Pending,
            },
        );
    }

    pub fn has(&self, id: RequestId) -> bool {
        self.results.iter().any(|r| r.id == id)
    }

    /// The outcome of `Classify` request `id`; nothing happens (and no URL is made) for a
    /// result removed meanwhile.
    pub fn apply(&mut self, id: RequestId, outcome: protocol::Outcome, urls: &mut dyn ObjectUrls) {
        if !self.has(id) {
            return;
        }
        let status = match outcome {
            Ok(Reply::Classified {
                top,
                logits,
                input_png,
                pixels,
                millis,
                ..
            }) => ImageStatus::Done {
                top,
                logits,
                input_url: urls.create(&input_png, "image/png"),
                pixels,
                millis,
            },
            Ok(other) => {
                ImageStatus::Failed(format!("unexpected answer from the engine: {other:?}"))
            }
            Err(failure) => ImageStatus::Failed(failure.message),
        };
        self.set_status(id, status);
    }

    /// A failure before the request was sent (e.g. the file could not be read).
    pub fn fail(&mut self, id: RequestId, message: String) {
        self.set_status(id, ImageStatus::Failed(message));
    }

    fn set_status(&mut self, id: RequestId, status: ImageStatus) {
        if let Some(result) = self.results.iter_mut().find(|r| r.id == id) {
            result.status = status;
        }
    }

    /// A saliency map was asked for result `result`.
    pub fn explaining(&mut self, result: RequestId) {
        self.explanations.insert(result, Explanation::Pending);
    }

    /// The outcome of an `Explain` request for result `result`.
    pub fn apply_explanation(&mut self, result: RequestId, outcome: protocol::Outcome) {
        if !self.has(result) {
            return;
        }
        let explanation = match outcome {
            Ok(Reply::Explained { heatmap }) => Explanation::Done(heatmap),
            Ok(other) => {
                Explanation::Failed(format!("unexpected answer from the engine: {other:?}"))
            }
            Err(failure) => Explanation::Failed(failure.message),
        };
        self.explanations.insert(result, explanation);
    }

    /// Drops the results `remove` picks, with their saliency, and releases their object URLs.
    pub fn remove(&mut self, remove: impl Fn(&ImageResult) -> bool, urls: &mut dyn ObjectUrls) {
        let mut kept = Vec::with_capacity(self.results.len());
        for result in std::mem::take(&mut self.results) {
            if !remove(&result) {
                kept.push(result);
                continue;
            }
            if let Some(url) = &result.thumbnail {
                urls.revoke(url);
            }
            if let ImageStatus::Done {
                input_url: Some(url),
                ..
            } = &result.status
            {
                urls.revoke(url);
            }
            self.explanations.remove(&result.id);
        }
        self.results = kept;
    }

    /// The engine stopped: what was pending will not be answered.
    pub fn engine_stopped(&mut self) {
        for result in self
            .results
            .iter_mut()
            .filter(|r| r.status == ImageStatus::Pending)
        {
            result.status = ImageStatus::Failed(
                "The engine stopped before this image was classified; please add it again.".into(),
            );
        }
        for state in self
            .explanations
            .values_mut()
            .filter(|s| **s == Explanation::Pending)
        {
            *state = Explanation::Failed(
                "The engine stopped before the map was made; please try again.".into(),
            );
        }
    }
}

/// The finished predictions as CSV (file, top class, probability), oldest first. A cell that
/// a spreadsheet would run as a formula (`= + - @`, or a tab or return first) is prefixed with
/// `'` so that it stays text.
pub fn predictions_csv(results: &[ImageResult]) -> String {
    let mut csv = String::from("file,class,probability\n");
    for r in results.iter().rev() {
        if let ImageStatus::Done { top, .. } = &r.status
            && let Some(best) = top.first()
        {
            csv.push_str(&format!(
                "{},{},{:.4}\n",
                csv_cell(&r.name),
                csv_cell(&best.class_name),
                best.probability
            ));
        }
    }
    csv
}

fn csv_cell(text: &str) -> String {
    let formula = text.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let text = if formula {
        format!("'{text}")
    } else {
        text.to_string()
    };
    format!("\"{}\"", text.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pinhole_core::model::{SaliencyMethod, top_k};
    use pinhole_core::protocol::{Failure, FailureKind};

    /// Counts live URLs.
    #[derive(Default)]
    struct FakeUrls {
        next: usize,
        live: Vec<String>,
    }

    impl ObjectUrls for FakeUrls {
        fn create(&mut self, _: &[u8], _: &str) -> Option<String> {
            self.next += 1;
            let url = format!("blob:{}", self.next);
            self.live.push(url.clone());
            Some(url)
        }
        fn revoke(&mut self, url: &str) {
            self.live.retain(|u| u != url);
        }
    }

    fn classified() -> protocol::Outcome {
        Ok(Reply::Classified {
            name: "cat.png".into(),
            top: top_k(&[0.0, 3.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 1.0], 5),
            logits: vec![0.0; 10],
            input_png: vec![137],
            pixels: vec![0; 3072],
            width: 64,
            height: 64,
            millis: 2.0,
        })
    }

    #[test]
    fn results_take_their_own_outcome_and_release_their_urls() {
        let mut urls = FakeUrls::default();
        let thumb = urls.create(&[], "image/png");
        let mut view = ClassifyView::default();
        view.add(1, "cat.png".into(), thumb);
        view.add(2, "junk.png".into(), None);
        assert_eq!(view.results[0].id, 2, "newest first");
        view.apply(
            2,
            Err(Failure::new(
                FailureKind::InvalidInput,
                "junk.png: not an image",
            )),
            &mut urls,
        );
        view.apply(1, classified(), &mut urls);
        assert_eq!(
            view.results[0].status,
            ImageStatus::Failed("junk.png: not an image".into())
        );
        match &view.results[1].status {
            ImageStatus::Done { top, input_url, .. } => {
                assert_eq!(top[0].class_index, 1);
                assert!(input_url.is_some());
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(urls.live.len(), 2);
        view.explaining(1);
        view.apply_explanation(
            1,
            Ok(Reply::Explained {
                heatmap: Heatmap {
                    class: 1,
                    method: SaliencyMethod::GradCam,
                    values: vec![0; 1024],
                    millis: 1.0,
                },
            }),
        );
        assert!(matches!(view.explanations[&1], Explanation::Done(_)));
        view.remove(|r| r.id == 1, &mut urls);
        assert!(
            urls.live.is_empty(),
            "thumbnail and input URL revoked: {:?}",
            urls.live
        );
        assert!(view.explanations.is_empty());
        assert_eq!(view.results.len(), 1);
    }

    #[test]
    fn the_csv_quotes_names_and_defuses_formulas() {
        let mut urls = FakeUrls::default();
        let mut view = ClassifyView::default();
        for (id, name) in [
            (1, "=HYPERLINK(\"x\")"),
            (2, "a \"b\".png"),
            (3, "pending.png"),
        ] {
            view.add(id, name.into(), None);
        }
        view.apply(1, classified(), &mut urls);
        view.apply(2, classified(), &mut urls);
        let csv = predictions_csv(&view.results);
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 3, "{csv}");
        assert_eq!(lines[1], "\"'=HYPERLINK(\"\"x\"\")\",\"automobile\",0.6520");
        assert!(
            lines[2].starts_with("\"a \"\"b\"\".png\",\"automobile\","),
            "{csv}"
        );
    }

    #[test]
    fn a_result_removed_while_pending_makes_no_url_and_stopping_fails_the_pending() {
        let mut urls = FakeUrls::default();
        let mut view = ClassifyView::default();
        view.add(1, "a.png".into(), None);
        view.add(2, "b.png".into(), None);
        view.remove(|r| r.id == 1, &mut urls);
        view.apply(1, classified(), &mut urls);
        assert!(urls.live.is_empty() && !view.has(1));
        view.explaining(2);
        view.engine_stopped();
        assert!(
            matches!(&view.results[0].status, ImageStatus::Failed(m) if m.contains("engine stopped"))
        );
        assert!(matches!(&view.explanations[&2], Explanation::Failed(_)));
    }
}
