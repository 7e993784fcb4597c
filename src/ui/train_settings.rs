//! The training form: where the data comes from and the run's settings.

use leptos::ev;
use leptos::prelude::*;
use web_sys::{DragEvent, File, HtmlInputElement};

use pinhole_core::model::Preset;
use pinhole_core::protocol::{DEFAULT_MANIFEST, RECIPE_TRANSLATE, TrainSettings};

/// Where the visitor wants the records from.
#[derive(Clone, Debug, PartialEq)]
pub enum SourceChoice {
    /// A manifest URL (the default shard set unless changed).
    Manifest(String),
    /// Dropped or picked files, read when training starts.
    Files(Vec<File>),
}

#[component]
pub fn DataSourcePicker(choice: RwSignal<SourceChoice>) -> impl IntoView {
    let dragging = RwSignal::new(false);
    let url = move || match choice.get() {
        SourceChoice::Manifest(url) => url,
        SourceChoice::Files(_) => String::new(),
    };
    let take_files = move |list: Option<web_sys::FileList>| {
        let files: Vec<File> = list
            .map(|l| (0..l.length()).filter_map(|i| l.get(i)).collect())
            .unwrap_or_default();
        if !files.is_empty() {
            choice.set(SourceChoice::Files(files));
        }
    };
    let file_names = move || match choice.get() {
        SourceChoice::Files(files) => Some(
            files
                .iter()
                .map(|f| f.name())
                .collect::<Vec<_>>()
                .join(", "),
        ),
        SourceChoice::Manifest(_) => None,
    };
    view! {
        <fieldset class="source">
            <legend>"Data"</legend>
            <label>"Shard manifest URL "
                <input type="text" size="40" data-testid="manifest-url" prop:value=url
                    on:change=move |ev| choice.set(SourceChoice::Manifest(event_target_value(&ev)))/>
            </label>
            <button type="button" on:click=move |_| choice.set(SourceChoice::Manifest(DEFAULT_MANIFEST.into()))>
                "Built-in set"
            </button>
            <label class="drop small" class:dragging=move || dragging.get()
                on:dragover=move |ev: DragEvent| { ev.prevent_default(); dragging.set(true); }
                on:dragleave=move |_| dragging.set(false)
                on:drop=move |ev: DragEvent| {
                    ev.prevent_default();
                    dragging.set(false);
                    take_files(ev.data_transfer().and_then(|dt| dt.files()));
                }>
                <input type="file" multiple accept=".gz,.tgz,.bin" data-testid="data-files"
                    on:change=move |ev: ev::Event| {
                        let input = event_target::<HtmlInputElement>(&ev);
                        take_files(input.files());
                        input.set_value("");
                    }/>
                <span>"…or drop cifar-10-binary.tar.gz or its .bin files here (read on this device)."</span>
            </label>
            {move || file_names().map(|names| view! { <p data-testid="data-files-chosen">"Files: " {names}</p> })}
        </fieldset>
    }
}

#[component]
pub fn SettingsForm(settings: RwSignal<TrainSettings>) -> impl IntoView {
    let number = move |ev: &ev::Event| event_target_value(ev).trim().parse::<f64>().ok();
    let checkbox = |ev: &ev::Event| event_target::<HtmlInputElement>(ev).checked();
    view! {
        <fieldset class="settings">
            <legend>"Settings"</legend>
            <label>"Preset "
                <select data-testid="train-preset" on:change=move |ev| {
                    if let Ok(preset) = event_target_value(&ev).parse::<Preset>() {
                        settings.update(|s| s.preset = preset);
                    }
                }>
                    {Preset::ALL.into_iter().map(|p| view! {
                        <option value=p.name() selected=move || settings.get().preset == p>{p.name()}</option>
                    }).collect_view()}
                </select>
            </label>
            <label>"Epochs "
                <input type="number" min="1" max="200" data-testid="train-epochs"
                    prop:value=move || settings.get().epochs
                    on:change=move |ev| if let Some(v) = number(&ev) { settings.update(|s| s.epochs = (v as usize).max(1)) }/>
            </label>
            <label>"Batch "
                <input type="number" min="8" max="1024" step="8" data-testid="train-batch"
                    prop:value=move || settings.get().batch_size
                    on:change=move |ev| if let Some(v) = number(&ev) { settings.update(|s| s.batch_size = (v as usize).max(1)) }/>
            </label>
            <label>"Learning rate "
                <input type="number" min="0.001" max="2" step="0.01" data-testid="train-lr"
                    prop:value=move || settings.get().lr.to_string()
                    on:change=move |ev| if let Some(v) = number(&ev) { settings.update(|s| s.lr = v) }/>
            </label>
            <label>"Label smoothing "
                <input type="number" min="0" max="0.5" step="0.05"
                    prop:value=move || settings.get().label_smoothing.to_string()
                    on:change=move |ev| if let Some(v) = number(&ev) { settings.update(|s| s.label_smoothing = v as f32) }/>
            </label>
            <label><input type="checkbox" prop:checked=move || settings.get().flip
                on:change=move |ev| settings.update(|s| s.flip = checkbox(&ev))/>" Flip"</label>
            <label><input type="checkbox" prop:checked=move || { settings.get().translate > 0 }
                on:change=move |ev| settings.update(|s| {
                    s.translate = if checkbox(&ev) { RECIPE_TRANSLATE } else { 0 }
                })/>{format!(" Translate ±{RECIPE_TRANSLATE} px")}</label>
            <label><input type="checkbox" prop:checked=move || settings.get().lookahead
                on:change=move |ev| settings.update(|s| s.lookahead = checkbox(&ev))/>" Lookahead (EMA) of weights"</label>
            <span class="group">
                <label><input type="checkbox" data-testid="train-quick" prop:checked=move || settings.get().subset.is_some()
                    on:change=move |ev| settings.update(|s| s.subset = checkbox(&ev).then_some(s.subset.unwrap_or(5000)))/>
                    " Quick: train on the first "
                </label>
                <input type="number" min="64" step="64" data-testid="train-subset" aria-label="Records in a quick run"
                    prop:value=move || settings.get().subset.unwrap_or(5000)
                    prop:disabled=move || settings.get().subset.is_none()
                    on:change=move |ev| if let Some(v) = number(&ev) { settings.update(|s| s.subset = Some((v as usize).max(1))) }/>
                " records"
            </span>
            <label>" Early stopping patience (epochs, 0 = off) "
                <input type="number" min="0" max="50" data-testid="train-patience"
                    prop:value=move || settings.get().patience.unwrap_or(0)
                    on:change=move |ev| if let Some(v) = number(&ev) {
                        settings.update(|s| s.patience = (v >= 1.0).then_some(v as usize))
                    }/>
            </label>
        </fieldset>
    }
}
