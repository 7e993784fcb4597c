//! The Teach page's camera: a preview (mirrored, as the Classify page's webcam is by default)
//! and the grab of its centre square at 96×96, mirrored the same way, as a sample. Recording
//! adds a few samples a second while a class's button is held.

use leptos::html::Video;
use leptos::prelude::*;
use leptos::task::spawn_local;
use web_sys::MediaStream;

use super::camera::{Facing, SquareGrab, open_stream, stop_tracks};
use super::engine_client::EngineClient;
use pinhole_core::teach::SAMPLE_SIDE;

/// Samples recorded per second while a record button is held.
pub const RECORD_PER_SECOND: f64 = 5.0;

#[derive(Clone, Copy)]
pub struct TeachCamera {
    pub video: NodeRef<Video>,
    stream: StoredValue<Option<MediaStream>, LocalStorage>,
    grab: SquareGrab,
    pub running: RwSignal<bool>,
    pub starting: RwSignal<bool>,
    pub message: RwSignal<Option<String>>,
    /// The class being recorded, if a record button is held.
    pub recording: RwSignal<Option<u64>>,
    last_grab: StoredValue<f64>,
    generation: StoredValue<u64>,
}

impl TeachCamera {
    pub fn new() -> Self {
        TeachCamera {
            video: NodeRef::new(),
            stream: StoredValue::new_local(None),
            grab: SquareGrab::new(SAMPLE_SIDE as u32),
            running: RwSignal::new(false),
            starting: RwSignal::new(false),
            message: RwSignal::new(None),
            recording: RwSignal::new(None),
            last_grab: StoredValue::new(0.0),
            generation: StoredValue::new(0),
        }
    }

    pub fn toggle(self) {
        if self.running.get_untracked() || self.starting.get_untracked() {
            self.stop();
        } else {
            self.start();
        }
    }

    fn start(self) {
        self.message.set(None);
        self.starting.set(true);
        let generation = self.generation.get_value() + 1;
        self.generation.set_value(generation);
        spawn_local(async move {
            let result = open_stream(Facing::User).await;
            if self.generation.get_value() != generation {
                if let Ok(stream) = result {
                    stop_tracks(&stream);
                }
                return;
            }
            self.starting.set(false);
            match result {
                Ok(stream) => {
                    if let Some(video) = self.video.get_untracked() {
                        video.set_src_object(Some(&stream));
                        let _ = video.play();
                        self.stream.set_value(Some(stream));
                        self.running.set(true);
                    } else {
                        stop_tracks(&stream);
                    }
                }
                Err(message) => self.message.set(Some(message)),
            }
        });
    }

    pub fn stop(self) {
        self.generation.set_value(self.generation.get_value() + 1);
        self.recording.set(None);
        if let Some(stream) = self.stream.get_value() {
            stop_tracks(&stream);
        }
        self.stream.set_value(None);
        if let Some(video) = self.video.get_untracked() {
            video.set_src_object(None);
        }
        self.starting.set(false);
        self.running.set(false);
    }

    /// Starts recording samples for `class` until [`TeachCamera::release`].
    pub fn hold(self, engine: EngineClient, class: u64) {
        if !self.running.get_untracked() || self.recording.get_untracked().is_some() {
            return;
        }
        self.recording.set(Some(class));
        self.last_grab.set_value(f64::NEG_INFINITY);
        self.tick(engine, class);
    }

    pub fn release(self) {
        self.recording.set(None);
    }

    fn tick(self, engine: EngineClient, class: u64) {
        if self.recording.get_untracked() != Some(class) || !self.running.get_untracked() {
            return;
        }
        let now = js_sys::Date::now();
        if now - self.last_grab.get_value() >= 1000.0 / RECORD_PER_SECOND
            && let Some(rgb) = self.grab_sample()
        {
            self.last_grab.set_value(now);
            engine.teach_change(|view| match view.add_sample(class, rgb) {
                Ok(persist) => persist,
                Err(message) => {
                    view.sample_refused(message);
                    Vec::new()
                }
            });
            // A full class (or a removed one) ends the recording.
            let full = engine.teach.with_untracked(|v| {
                v.class(class)
                    .is_none_or(|c| c.samples.len() >= pinhole_core::teach::MAX_CLASS_SAMPLES)
            });
            if full {
                self.release();
                return;
            }
        }
        request_animation_frame(move || self.tick(engine, class));
    }

    /// The video's centre square at 96×96, mirrored (as the preview), as interleaved RGB.
    fn grab_sample(self) -> Option<Vec<u8>> {
        let video = self.video.get_untracked()?;
        let rgba = self.grab.grab_square(&video, true)?;
        Some(
            rgba.chunks_exact(4)
                .flat_map(|p| [p[0], p[1], p[2]])
                .collect(),
        )
    }
}

#[component]
pub fn TeachCameraView(camera: TeachCamera) -> impl IntoView {
    let hidden = window_event_listener_untyped("visibilitychange", move |_| {
        if document().hidden() {
            camera.stop();
        }
    });
    on_cleanup(move || {
        hidden.remove();
        camera.stop();
    });
    view! {
        <div class="teach-camera" data-testid="teach-camera" data-running=move || camera.running.get().to_string()>
            <button data-testid="teach-camera-toggle" on:click=move |_| camera.toggle()
                disabled=move || camera.starting.get()>
                {move || if camera.starting.get() { "Starting…" }
                    else if camera.running.get() { "Stop camera" } else { "Start camera" }}
            </button>
            {move || camera.message.get().map(|m| view! {
                <p class="error" role="alert" data-testid="teach-camera-error">{m}</p>
            })}
            <div class="stage teach-stage" class:off=move || !camera.running.get()>
                <video node_ref=camera.video playsinline=true muted=true autoplay=true prop:muted=true
                    class="mirrored" data-testid="teach-video"/>
            </div>
            <p class="hint">{move || if camera.running.get() {
                "Hold a class's Record button (or press and hold Space on it) to add five frames a second."
            } else {
                "Start the camera to record samples, or add image files to each class."
            }}</p>
        </div>
    }
}

/// Space or Enter held on a record button records, as holding the pointer does.
pub fn is_hold_key(ev: &web_sys::KeyboardEvent) -> bool {
    matches!(ev.key().as_str(), " " | "Enter")
}
