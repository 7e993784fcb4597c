//! The data explorer: samples of each class, the class histogram, per-channel statistics, and
//! training's augmentations (flip, translate) previewed on a chosen record.

use leptos::prelude::*;

use super::engine_client::EngineClient;
use super::insight_state::InsightStatus;
use pinhole_core::data::{CLASS_NAMES, Split};
use pinhole_core::protocol::{DEFAULT_MANIFEST, RecordSet, Request};

/// Training translates by up to this many pixels.
const MAX_SHIFT: i32 = 2;

#[component]
pub fn ExplorePage() -> impl IntoView {
    let engine = expect_context::<EngineClient>();
    let state = engine.insight.explore;
    let manifest = RwSignal::new(DEFAULT_MANIFEST.to_string());
    let split = RwSignal::new(Split::Test);
    let set = move || RecordSet {
        manifest: manifest.get_untracked(),
        split: split.get_untracked(),
    };
    let load = move || {
        state.update(|s| s.start("Reading the records…"));
        engine.send(Request::ExploreData { set: set() });
    };
    // First visit: look at the test split as soon as the engine is up.
    Effect::new(move |_| {
        if engine.model.with(Option::is_some)
            && state
                .with_untracked(|s| s.result.is_none() && s.progress.is_none() && s.error.is_none())
        {
            load();
        }
    });
    view! {
        <section class="explore" data-testid="explore">
            <h2>"Explore the data"</h2>
            <div class="controls">
                <label>"Shard set " <input type="text" size="32" data-testid="explore-manifest"
                    prop:value=move || manifest.get()
                    on:change=move |ev| { manifest.set(event_target_value(&ev)); load() }/></label>
                <label>" Records " <select data-testid="explore-split" on:change=move |ev| {
                    split.set(if event_target_value(&ev) == "train" { Split::Train } else { Split::Test });
                    load();
                }>
                    <option value="test" selected=move || split.get() == Split::Test>"the test split"</option>
                    <option value="train" selected=move || split.get() == Split::Train>"the first training shard"</option>
                </select></label>
            </div>
            <InsightStatus state testid="explore"/>
            {move || state.with(|s| s.result.clone()).map(|view| {
                let summary = view.summary;
                let most = summary.class_counts.iter().copied().max().unwrap_or(1).max(1);
                let set = summary.set.clone();
                view! {
                    <p data-testid="explore-summary" data-records=summary.records.to_string()>
                        {format!("{} records from {}", summary.records, summary.files)}
                    </p>
                    <div class="explore-grid">
                        <figure>
                            <figcaption>"Records per class"</figcaption>
                            <ul class="bars">
                                {summary.class_counts.iter().enumerate().map(|(c, &n)| view! {
                                    <li data-testid="class-count" data-class=CLASS_NAMES[c] data-count=n.to_string()>
                                        <span>{CLASS_NAMES[c]}</span>
                                        <span class="bar"><span style=format!("width: {:.1}%", 100.0 * n as f64 / most as f64)></span></span>
                                        <span class="pct">{n}</span>
                                    </li>
                                }).collect_view()}
                            </ul>
                        </figure>
                        <figure>
                            <figcaption>"Pixel statistics (scaled to 0–1)"</figcaption>
                            <table data-testid="channel-stats">
                                <tr><th>"channel"</th><th>"mean"</th><th>"std"</th></tr>
                                {["red", "green", "blue"].into_iter().enumerate().map(|(c, name)| view! {
                                    <tr data-testid="channel-row" data-channel=name
                                        data-mean=summary.mean[c].to_string() data-std=summary.std[c].to_string()>
                                        <td>{name}</td>
                                        <td>{format!("{:.4}", summary.mean[c])}</td>
                                        <td>{format!("{:.4}", summary.std[c])}</td>
                                    </tr>
                                }).collect_view()}
                            </table>
                            <p class="caption">"The model subtracts the training set's mean and divides by its \
                                standard deviation per channel before its first layer."</p>
                        </figure>
                    </div>
                    <AugmentPreview set=set.clone()/>
                    <h3>"Samples (click one to preview augmentations)"</h3>
                    <table class="samples">
                        {summary.samples.iter().zip(view.sample_urls).enumerate().map(|(c, (samples, urls))| view! {
                            <tr><th>{CLASS_NAMES[c]}</th><td>
                                {samples.iter().zip(urls).map(|(sample, url)| {
                                    let (index, set) = (sample.index, set.clone());
                                    // A button, so the keyboard reaches every sample too.
                                    view! {
                                        <button type="button" title=format!("Preview the augmentations of record {index}")
                                            on:click=move |_| engine.send(Request::Augment { set: set.clone(), index, flip: false, dx: 0, dy: 0 })>
                                            <img data-testid="sample" data-index=index.to_string() data-label=sample.label.to_string()
                                                src=url alt=format!("{} (record {index})", CLASS_NAMES[c]) width="48" height="48"/>
                                        </button>
                                    }
                                }).collect_view()}
                            </td></tr>
                        }).collect_view()}
                    </table>
                }
            })}
        </section>
    }
}

/// The chosen record as training might see it: mirrored and shifted with reflect padding.
#[component]
fn AugmentPreview(set: RecordSet) -> impl IntoView {
    let engine = expect_context::<EngineClient>();
    let set = StoredValue::new(set);
    let send = move |index: usize, flip: bool, dx: i32, dy: i32| {
        engine.send(Request::Augment {
            set: set.get_value(),
            index,
            flip,
            dx,
            dy,
        })
    };
    move || {
        let view = engine.insight.augmented.get()?;
        let (index, flip, dx, dy) = (view.index, view.flip, view.dx, view.dy);
        let random = move |_| {
            let pick =
                || (js_sys::Math::random() * (2 * MAX_SHIFT + 1) as f64).floor() as i32 - MAX_SHIFT;
            send(index, js_sys::Math::random() < 0.5, pick(), pick());
        };
        Some(view! {
            <div class="augment" data-testid="augment" data-index=index.to_string()>
                <img data-testid="augmented" data-flip=flip.to_string() data-dx=dx.to_string() data-dy=dy.to_string()
                    src=view.url alt="the augmented record" width="128" height="128"/>
                <div>
                    <p>{format!("Record {index}")}</p>
                    <label><input type="checkbox" data-testid="aug-flip" prop:checked=flip
                        on:change=move |ev| send(index, event_target_checked(&ev), dx, dy)/>" mirror"</label>
                    <label>" shift x " <input type="range" min=(-MAX_SHIFT).to_string() max=MAX_SHIFT.to_string() data-testid="aug-dx"
                        prop:value=dx.to_string() on:change=move |ev| send(index, flip, event_target_value(&ev).parse().unwrap_or(0), dy)/>{format!(" {dx:+} px")}</label>
                    <label>" shift y " <input type="range" min=(-MAX_SHIFT).to_string() max=MAX_SHIFT.to_string() data-testid="aug-dy"
                        prop:value=dy.to_string() on:change=move |ev| send(index, flip, dx, event_target_value(&ev).parse().unwrap_or(0))/>{format!(" {dy:+} px")}</label>
                    <button data-testid="aug-random" on:click=random>"Random, as in training"</button>
                    <p class="caption">"Training mirrors half the images and shifts each by up to 2 px, filling the \
                        border by reflection: the network sees a slightly different picture every epoch, which \
                        makes it generalise instead of memorising."</p>
                </div>
            </div>
        })
    }
}
