//! What the insight pages show, kept by the engine client so that it outlives a page change:
//! each page's progress, failure and result, with its PNGs turned into object URLs once.

use std::collections::HashMap;

use leptos::prelude::*;

use super::download::{object_url, revoke};
use crate::ui_state::Asked;
use pinhole_core::protocol::{Anatomy, DataSummary, Evaluation, Outcome, Reply};

/// One page's request: in progress, failed, or done.
#[derive(Clone, Debug, PartialEq)]
pub struct InsightState<T> {
    /// (message, done, total) while the engine works.
    pub progress: Option<(String, usize, usize)>,
    pub error: Option<String>,
    pub result: Option<T>,
}

impl<T> Default for InsightState<T> {
    fn default() -> Self {
        InsightState {
            progress: None,
            error: None,
            result: None,
        }
    }
}

impl<T> InsightState<T> {
    /// A request was sent: keep the last result on screen until the new one comes.
    pub fn start(&mut self, message: &str) {
        self.progress = Some((message.to_string(), 0, 0));
        self.error = None;
    }

    fn finish(&mut self, result: T) {
        self.progress = None;
        self.error = None;
        self.result = Some(result);
    }

    fn fail(&mut self, message: String) {
        self.progress = None;
        self.error = Some(message);
    }
}

/// A page's progress line (with a bar once the total is known) and its error, with test ids
/// `{testid}-progress` and `{testid}-error`.
#[component]
pub fn InsightStatus<T: Clone + Send + Sync + 'static>(
    state: RwSignal<InsightState<T>>,
    testid: &'static str,
) -> impl IntoView {
    move || {
        state.with(|s| {
            let progress = s.progress.clone().map(|(message, done, total)| {
                view! {
                    <p class="progress" data-testid=format!("{testid}-progress")>
                        {(total > 0).then(|| view! {
                            <progress max=total.to_string() value=done.to_string()></progress> " "
                        })}
                        {message}
                    </p>
                }
            });
            let error = s.error.clone().map(|message| {
                view! { <p class="error" role="alert" data-testid=format!("{testid}-error")>{message}</p> }
            });
            (progress, error)
        })
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct ExploreView {
    pub summary: DataSummary,
    /// Object URLs of `summary.samples`, in the same order.
    pub sample_urls: Vec<Vec<String>>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AugmentedView {
    pub index: usize,
    pub flip: bool,
    pub dx: i32,
    pub dy: i32,
    pub url: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct AnatomyView {
    pub anatomy: Anatomy,
    pub image_url: String,
    /// Per layer, the URL of its feature-map grid (none for flat outputs).
    pub map_urls: Vec<Option<String>>,
    pub filters_url: String,
}

#[derive(Clone, Copy)]
pub struct InsightViews {
    pub evaluation: RwSignal<InsightState<Evaluation>>,
    /// Object URLs of the evaluated set's records, by index (mistakes, a confusion cell's).
    pub record_urls: RwSignal<HashMap<usize, String>>,
    pub explore: RwSignal<InsightState<ExploreView>>,
    pub augmented: RwSignal<Option<AugmentedView>>,
    pub anatomy: RwSignal<InsightState<AnatomyView>>,
}

fn png_url(png: &[u8]) -> String {
    object_url(png, "image/png").unwrap_or_default()
}

impl InsightViews {
    pub fn new() -> Self {
        InsightViews {
            evaluation: RwSignal::new(InsightState::default()),
            record_urls: RwSignal::new(HashMap::new()),
            explore: RwSignal::new(InsightState::default()),
            augmented: RwSignal::new(None),
            anatomy: RwSignal::new(InsightState::default()),
        }
    }

    /// The engine died: work in progress is lost (its pages say so and can be asked again).
    pub fn engine_stopped(&self) {
        let message = crate::ui_state::ENGINE_STOPPED;
        self.evaluation.update(|s| {
            if s.progress.is_some() {
                s.fail(message.into())
            }
        });
        self.explore.update(|s| {
            if s.progress.is_some() {
                s.fail(message.into())
            }
        });
        self.anatomy.update(|s| {
            if s.progress.is_some() {
                s.fail(message.into())
            }
        });
    }

    /// Progress of an insight request; false for other requests.
    pub fn progress(&self, asked: Asked, message: &str, done: usize, total: usize) -> bool {
        let progress = Some((message.to_string(), done, total));
        match asked {
            Asked::Evaluate | Asked::RecordImages => {
                self.evaluation.update(|s| s.progress = progress)
            }
            Asked::Explore | Asked::Augment => self.explore.update(|s| s.progress = progress),
            Asked::Inspect => self.anatomy.update(|s| s.progress = progress),
            _ => return false,
        }
        true
    }

    /// The outcome of an insight request: its page's result or failure.
    pub fn outcome(&self, asked: Asked, outcome: Outcome) {
        let reply = match outcome {
            Ok(reply) => reply,
            Err(failure) => {
                let message = failure.message;
                match asked {
                    Asked::Evaluate | Asked::RecordImages => {
                        self.evaluation.update(|s| s.fail(message))
                    }
                    Asked::Explore | Asked::Augment => self.explore.update(|s| s.fail(message)),
                    Asked::Inspect => self.anatomy.update(|s| s.fail(message)),
                    _ => {}
                }
                return;
            }
        };
        match reply {
            Reply::Evaluated { evaluation } => {
                let urls = evaluation
                    .mistakes
                    .iter()
                    .map(|m| (m.index, png_url(&m.png)))
                    .collect();
                self.record_urls.update(|old| {
                    old.values().for_each(|url| revoke(url));
                    *old = urls;
                });
                self.evaluation.update(|s| s.finish(*evaluation));
            }
            Reply::RecordImages { images, .. } => {
                self.evaluation.update(|s| s.progress = None);
                self.record_urls.update(|urls| {
                    for image in images {
                        urls.insert(image.index, png_url(&image.png));
                    }
                })
            }
            Reply::DataExplored { summary } => {
                let sample_urls = summary
                    .samples
                    .iter()
                    .map(|class| class.iter().map(|s| png_url(&s.png)).collect())
                    .collect();
                self.explore.update(|s| {
                    if let Some(old) = &s.result {
                        old.sample_urls.iter().flatten().for_each(|url| revoke(url));
                    }
                    s.finish(ExploreView {
                        summary: *summary,
                        sample_urls,
                    })
                });
            }
            Reply::Augmented {
                index,
                flip,
                dx,
                dy,
                png,
            } => {
                self.explore.update(|s| s.progress = None);
                self.augmented.update(|old| {
                    if let Some(old) = old {
                        revoke(&old.url);
                    }
                    *old = Some(AugmentedView {
                        index,
                        flip,
                        dx,
                        dy,
                        url: png_url(&png),
                    })
                })
            }
            Reply::Inspected { anatomy } => {
                let view = AnatomyView {
                    image_url: png_url(&anatomy.image_png),
                    map_urls: anatomy
                        .layers
                        .iter()
                        .map(|l| (!l.maps.is_empty()).then(|| png_url(&l.maps)))
                        .collect(),
                    filters_url: png_url(&anatomy.filters),
                    anatomy: *anatomy,
                };
                self.anatomy.update(|s| {
                    if let Some(old) = &s.result {
                        revoke(&old.image_url);
                        revoke(&old.filters_url);
                        old.map_urls.iter().flatten().for_each(|url| revoke(url));
                    }
                    s.finish(view)
                });
            }
            _ => {}
        }
    }
}
