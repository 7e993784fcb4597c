//! One class on the Teach page: its name (renamable), its samples as thumbnails (each
//! removable), and three ways to add samples: hold Record (the camera), pick or drop files.

use std::sync::Arc;

use leptos::ev;
use leptos::html::Canvas;
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;
use web_sys::{DragEvent, File, HtmlInputElement};

use super::download::read_file;
use super::engine_client::EngineClient;
use super::heatmap::put_rgba;
use super::teach_camera::{TeachCamera, is_hold_key};
use pinhole_core::protocol::{MAX_IMAGE_FILE_BYTES, Request};
use pinhole_core::teach::Sample;
use pinhole_core::teach::{FEW_SAMPLES, MAX_CLASS_SAMPLES, SAMPLE_SIDE};

/// Image files become samples of `class`: each read (size checked first) and sent to the
/// engine, which decodes it under the classifier's limits; a refusal is listed by name.
pub fn add_files(engine: EngineClient, class: u64, files: Vec<File>) {
    for file in files {
        spawn_local(async move {
            let name = file.name();
            match read_file(file, MAX_IMAGE_FILE_BYTES, "an image").await {
                Ok(bytes) => {
                    let id = engine.next_id();
                    engine
                        .teach
                        .update(|view| view.sample_asked(id, class, name.clone()));
                    engine.send_as(id, Request::MakeSample { name, bytes }, None);
                }
                Err(message) => engine.teach.update(|view| view.sample_refused(message)),
            }
        });
    }
}

pub fn files_of(list: &web_sys::FileList) -> Vec<File> {
    (0..list.length()).filter_map(|i| list.get(i)).collect()
}

#[component]
pub fn ClassCard(
    class: u64,
    camera: TeachCamera,
    paste_target: RwSignal<Option<u64>>,
) -> impl IntoView {
    let engine = expect_context::<EngineClient>();
    let info = move || {
        engine
            .teach
            .with(|v| v.class(class).map(|c| (c.name.clone(), c.samples.len())))
    };
    // A memo, so the name box is written only when the name itself changes: samples arriving
    // for any class would otherwise reset the box to the stored name while someone types.
    let name = Memo::new(move |_| info().map(|(n, _)| n).unwrap_or_default());
    let count = move || info().map_or(0, |(_, n)| n);
    let samples = move || {
        engine.teach.with(|v| {
            v.class(class)
                .map(|c| c.samples.clone())
                .unwrap_or_default()
        })
    };
    let rename_error = RwSignal::new(None::<String>);
    let dragging = RwSignal::new(false);
    let on_rename = move |ev: ev::Event| {
        let input = event_target::<HtmlInputElement>(&ev);
        let mut result = Ok(());
        engine.teach_change(|view| match view.rename(class, &input.value()) {
            Ok(persist) => vec![persist],
            Err(message) => {
                result = Err(message);
                Vec::new()
            }
        });
        match result {
            Ok(()) => rename_error.set(None),
            Err(message) => {
                rename_error.set(Some(message));
                input.set_value(&name.get_untracked());
            }
        }
    };
    let on_pick = move |ev: ev::Event| {
        let input = event_target::<HtmlInputElement>(&ev);
        if let Some(list) = input.files() {
            add_files(engine, class, files_of(&list));
        }
        input.set_value("");
    };
    let on_drop = move |ev: DragEvent| {
        ev.prevent_default();
        dragging.set(false);
        if let Some(list) = ev.data_transfer().and_then(|dt| dt.files()) {
            add_files(engine, class, files_of(&list));
        }
    };
    let recording = move || camera.recording.get() == Some(class);
    let full = move || count() >= MAX_CLASS_SAMPLES;
    view! {
        <li class="teach-class" data-testid="teach-class" data-name=name data-samples=move || count().to_string()
            class:dragging=move || dragging.get() class:target=move || paste_target.get() == Some(class)
            on:focusin=move |_| paste_target.set(Some(class))
            on:pointerdown=move |_| paste_target.set(Some(class))
            on:dragover=move |ev: DragEvent| { ev.prevent_default(); dragging.set(true); }
            on:dragleave=move |_| dragging.set(false)
            on:drop=on_drop>
            <div class="class-head">
                <input class="class-name" data-testid="class-name" aria-label="Class name" maxlength="48"
                    prop:value=name on:change=on_rename/>
                <span class="count" data-testid="class-count">
                    {move || format!("{} sample{}", count(), if count() == 1 { "" } else { "s" })}
                </span>
                <button class="remove" data-testid="remove-class" aria-label=move || format!("Remove class {}", name.get())
                    disabled=move || engine.teach.with(|v| v.teaching.is_some())
                    on:click=move |_| {
                        camera.release();
                        engine.teach_change(|view| view.remove_class(class));
                    }>"Remove class"</button>
            </div>
            {move || rename_error.get().map(|m| view! { <p class="error" role="alert" data-testid="rename-error">{m}</p> })}
            <div class="class-add">
                <button class="record" data-testid="record" class:recording=recording
                    disabled=move || !camera.running.get() || full()
                    aria-pressed=move || recording().to_string()
                    on:pointerdown=move |ev: ev::PointerEvent| {
                        ev.prevent_default();
                        // Captured: the button keeps the pointer while held, even if the page's
                        // layout moves under it as samples arrive.
                        if let Some(button) = ev.target().and_then(|t| t.dyn_into::<web_sys::Element>().ok()) {
                            let _ = button.set_pointer_capture(ev.pointer_id());
                        }
                        camera.hold(engine, class);
                    }
                    on:pointerup=move |_| camera.release()
                    on:pointercancel=move |_| camera.release()
                    on:lostpointercapture=move |_| camera.release()
                    on:keydown=move |ev: ev::KeyboardEvent| {
                        if is_hold_key(&ev) {
                            ev.prevent_default();
                            camera.hold(engine, class);
                        }
                    }
                    on:keyup=move |ev: ev::KeyboardEvent| {
                        if is_hold_key(&ev) {
                            camera.release();
                        }
                    }>
                    {move || if recording() { "Recording…" } else { "Hold to record" }}
                </button>
                <label class="pick">
                    <input type="file" multiple accept="image/*" data-testid="class-files" on:change=on_pick
                        disabled=full/>
                    <span>"Add images (or drop or paste them here)"</span>
                </label>
            </div>
            <ul class="teach-samples" data-testid="samples">
                <For each=samples key=|s| s.id children=move |sample: Sample| {
                    let id = sample.id;
                    view! {
                        <li data-testid="sample">
                            <SampleThumb rgb=sample.rgb/>
                            <button class="remove-sample" data-testid="remove-sample" aria-label="Remove this sample"
                                on:click=move |_| engine.teach_change(|view| view.remove_sample(class, id))>"×"</button>
                        </li>
                    }
                }/>
            </ul>
            {move || (count() > 0 && count() < FEW_SAMPLES).then(|| view! {
                <p class="notice" data-testid="few-samples">{format!("Add at least {FEW_SAMPLES} samples for a steadier head.")}</p>
            })}
        </li>
    }
}

/// A 96×96 sample drawn on a canvas (no image encoding).
#[component]
fn SampleThumb(rgb: Arc<Vec<u8>>) -> impl IntoView {
    let canvas = NodeRef::<Canvas>::new();
    Effect::new(move || {
        if let Some(canvas) = canvas.get() {
            let rgba: Vec<u8> = rgb
                .chunks_exact(3)
                .flat_map(|p| [p[0], p[1], p[2], 255])
                .collect();
            let side = SAMPLE_SIDE as u32;
            put_rgba(&canvas, Some(&rgba), side, side);
        }
    });
    view! { <canvas node_ref=canvas width="96" height="96" class="thumb" role="img" aria-label="a sample"/> }
}
