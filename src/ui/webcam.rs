//! Live webcam classification: start/stop, front/back camera, mirror, a square crop guide over
//! the video, the 32×32 input beside it, top-3, frames per second and latency, and a live
//! saliency overlay. The UI only grabs the square through a 2D canvas; the engine does the rest.
//! At most one frame is in flight: frames that arrive while the engine is busy are skipped.

use leptos::html::{Canvas, Video};
use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use web_sys::{MediaStream, MediaStreamTrack};

use super::bars::bar_rows;
use super::camera::{Facing, SquareGrab, open_stream, stop_tracks};
use super::engine_client::EngineClient;
use super::explain::{OpacitySlider, SaliencyChoice, SaliencyControls};
use super::heatmap::{HeatmapCanvas, put_rgba};
use crate::ui_state::{LiveAnnouncer, LiveResult};
use pinhole_core::data::IMAGE_SIDE;
use pinhole_core::protocol::Request;

/// Side of the square the UI grabs from the video; the engine area-averages it to 32×32.
const GRAB_SIDE: u32 = 128;

/// Everything the camera loop shares; all fields are `Copy` handles.
#[derive(Clone, Copy)]
struct Camera {
    engine: EngineClient,
    video: NodeRef<Video>,
    stream: StoredValue<Option<MediaStream>, LocalStorage>,
    /// Frames are grabbed through it.
    grab: SquareGrab,
    running: RwSignal<bool>,
    starting: RwSignal<bool>,
    message: RwSignal<Option<String>>,
    facing: RwSignal<Facing>,
    mirror: RwSignal<bool>,
    saliency_on: RwSignal<bool>,
    choice: SaliencyChoice,
    /// The video's size, for the crop guide.
    video_size: RwSignal<(u32, u32)>,
    /// Bumped on every start/stop so a stale `getUserMedia` answer is dropped.
    generation: StoredValue<u64>,
}

#[component]
pub fn WebcamPanel() -> impl IntoView {
    let engine = expect_context::<EngineClient>();
    let camera = Camera {
        engine,
        video: NodeRef::new(),
        stream: StoredValue::new_local(None),
        grab: SquareGrab::new(GRAB_SIDE),
        running: RwSignal::new(false),
        starting: RwSignal::new(false),
        message: RwSignal::new(None),
        facing: RwSignal::new(Facing::User),
        mirror: RwSignal::new(true),
        saliency_on: RwSignal::new(false),
        choice: SaliencyChoice::new("gradcam"),
        video_size: RwSignal::new((0, 0)),
        generation: StoredValue::new(0),
    };
    let opacity = RwSignal::new(0.6);
    let input_canvas = NodeRef::<Canvas>::new();

    // Each answer frees the slot and immediately sends the next frame (the display-frame tick
    // would otherwise pick it up up to a frame later).
    Effect::new(move || {
        if engine.live.with(|live| live.can_send()) && camera.running.get_untracked() {
            camera.send_frame();
        }
    });
    let latest = move || engine.live.with(|live| live.latest.clone());
    let live = move |read: fn(&crate::ui_state::LiveView) -> f64| engine.live.with(read);
    Effect::new(move || {
        let rgba = latest().map(|r| r.input_rgba);
        if let Some(canvas) = input_canvas.get() {
            let side = IMAGE_SIDE as u32;
            put_rgba(&canvas, rgba.as_deref(), side, side);
        }
    });
    let heatmap = Signal::derive(move || {
        camera
            .saliency_on
            .get()
            .then(|| latest().and_then(|r| r.heatmap).map(|h| h.values))
            .flatten()
    });

    // Leaving the page or hiding the tab stops the camera (its light goes off).
    let hidden = window_event_listener_untyped("visibilitychange", move |_| {
        if document().hidden() && camera.is_on() {
            camera.stop();
            camera.message.set(Some(
                "The camera was stopped because the tab was hidden; start it again to continue."
                    .into(),
            ));
        }
    });
    let pagehide = window_event_listener_untyped("pagehide", move |_| camera.stop());
    on_cleanup(move || {
        hidden.remove();
        pagehide.remove();
        camera.stop();
    });

    let toggle = move |_| {
        if camera.is_on() {
            camera.stop();
        } else {
            camera.start();
        }
    };
    let on_facing = move |ev: leptos::ev::Event| {
        camera
            .facing
            .set(if event_target_value(&ev) == "environment" {
                Facing::Environment
            } else {
                Facing::User
            });
        if camera.is_on() {
            camera.stop();
            camera.start();
        }
    };
    let guide_style = move || {
        let (w, h) = camera.video_size.get();
        if w == 0 || h == 0 {
            return "display:none".to_string();
        }
        let side = w.min(h) as f64;
        format!(
            "left:{:.3}%;top:{:.3}%;width:{:.3}%;height:{:.3}%",
            (w as f64 - side) / 2.0 / w as f64 * 100.0,
            (h as f64 - side) / 2.0 / h as f64 * 100.0,
            side / w as f64 * 100.0,
            side / h as f64 * 100.0,
        )
    };

    view! {
        <section class="webcam" data-testid="webcam" data-running=move || camera.running.get().to_string()>
            <h2>"Webcam"</h2>
            <div class="controls">
                <button class="primary" data-testid="camera-toggle" on:click=toggle disabled=move || camera.starting.get()>
                    {move || if camera.starting.get() { "Starting…" }
                        else if camera.running.get() { "Stop camera" } else { "Start camera" }}
                </button>
                <label>"Camera "
                    <select data-testid="camera-facing" on:change=on_facing>
                        <option value="user">"Front"</option>
                        <option value="environment">"Back"</option>
                    </select>
                </label>
                <label><input type="checkbox" data-testid="camera-mirror"
                    prop:checked=move || camera.mirror.get()
                    on:change=move |ev| camera.mirror.set(event_target_checked(&ev))/>" Mirror"</label>
                <label><input type="checkbox" data-testid="live-saliency-toggle"
                    prop:checked=move || camera.saliency_on.get()
                    on:change=move |ev| camera.saliency_on.set(event_target_checked(&ev))/>" Saliency"</label>
                <Show when=move || camera.saliency_on.get()>
                    <SaliencyControls choice=camera.choice testid="live-saliency-method"/>
                    <OpacitySlider opacity testid="live-saliency-opacity"/>
                </Show>
            </div>
            {move || camera.message.get().or_else(|| engine.live.with(|l| l.error.clone())).map(|m| view! {
                <p class="error" role="alert" data-testid="camera-error">{m}</p>
            })}
            <div class="live" class:off=move || !camera.running.get()>
                <div class="stage">
                    // In the DOM from the start, inline and muted: what mobile Safari needs to play.
                    <video node_ref=camera.video playsinline=true muted=true autoplay=true
                        prop:muted=true class:mirrored=move || camera.mirror.get()
                        aria-label="camera preview; the square is what the model sees"
                        data-testid="camera-video"
                        on:loadedmetadata=move |_| camera.measure_video()/>
                    <div class="guide" style=guide_style>
                        <HeatmapCanvas values=heatmap overlay=true testid="live-saliency"
                            style=Signal::derive(move || format!("opacity:{}", opacity.get()))/>
                    </div>
                </div>
                <div class="readout">
                    <figure>
                        <canvas node_ref=input_canvas width="32" height="32" class="input32"
                            role="img" aria-label="the camera frame at 32×32 pixels, as the model sees it"
                            data-testid="live-input"/>
                        <figcaption>"what the model sees"</figcaption>
                    </figure>
                    <LiveTop result=Signal::derive(latest)/>
                    <LiveAnnouncement result=Signal::derive(latest) running=camera.running/>
                    <p class="stats" data-testid="live-stats"
                        data-fps=move || format!("{:.2}", live(|l| l.fps))
                        data-frames=move || engine.live.with(|l| l.frames).to_string()
                        data-latency=move || format!("{:.1}", live(|l| l.latency_ms))>
                        {move || format!("{:.1} fps · {:.0} ms per frame", live(|l| l.fps), live(|l| l.latency_ms))}
                        {move || latest().map(|r| format!(" (engine {:.0} ms)", r.millis))}
                    </p>
                </div>
            </div>
        </section>
    }
}

/// The top class for screen readers: a polite live region, updated only when the class changes
/// and not more often than `ANNOUNCE_EVERY_MS` (`LiveAnnouncer`).
#[component]
fn LiveAnnouncement(
    #[prop(into)] result: Signal<Option<LiveResult>>,
    running: RwSignal<bool>,
) -> impl IntoView {
    let announcer = StoredValue::new(LiveAnnouncer::default());
    let said = RwSignal::new(String::new());
    Effect::new(move |_| {
        if !running.get() {
            announcer.update_value(LiveAnnouncer::reset);
            return;
        }
        let Some(top) = result.with(|r| r.as_ref().and_then(|r| r.top.first().cloned())) else {
            return;
        };
        let now = web_sys::window()
            .and_then(|w| w.performance())
            .map_or(0.0, |p| p.now());
        let mut next = None;
        announcer.update_value(|a| next = a.next(&top.class_name, top.probability, now));
        if let Some(sentence) = next {
            said.set(sentence);
        }
    });
    view! {
        <p class="visually-hidden" aria-live="polite" data-testid="live-announce">{move || said.get()}</p>
    }
}

#[component]
fn LiveTop(#[prop(into)] result: Signal<Option<LiveResult>>) -> impl IntoView {
    let top = move || result.get().map(|r| r.top).unwrap_or_default();
    view! {
        <ol class="bars live-top" data-testid="live-top"
            data-top1=move || top().first().map(|p| p.class_name.clone())>
            {move || bar_rows(top(), 0)}
        </ol>
    }
}

impl Camera {
    fn is_on(&self) -> bool {
        self.running.get_untracked() || self.starting.get_untracked()
    }

    fn start(self) {
        self.message.set(None);
        self.starting.set(true);
        let generation = self.generation.get_value() + 1;
        self.generation.set_value(generation);
        spawn_local(async move {
            let result = open_stream(self.facing.get_untracked()).await;
            if self.generation.get_value() != generation {
                // Stopped (or restarted) while the browser was asking: release this stream.
                if let Ok(stream) = result {
                    stop_tracks(&stream);
                }
                return;
            }
            self.starting.set(false);
            match result {
                Ok(stream) => self.attach(stream),
                Err(message) => self.message.set(Some(message)),
            }
        });
    }

    fn attach(self, stream: MediaStream) {
        let Some(video) = self.video.get_untracked() else {
            stop_tracks(&stream);
            return;
        };
        // A camera unplugged (or taken away) mid-stream ends its track.
        for track in stream.get_video_tracks().iter() {
            let track: MediaStreamTrack = track.unchecked_into();
            let on_ended = Closure::<dyn FnMut()>::new(move || {
                if self.running.get_untracked() {
                    self.stop();
                    self.message.set(Some(
                        "The camera stopped: it was unplugged, switched off or taken by another application.".into(),
                    ));
                }
            });
            track.set_onended(Some(on_ended.as_ref().unchecked_ref()));
            on_ended.forget();
        }
        video.set_src_object(Some(&stream));
        let _ = video.play();
        self.stream.set_value(Some(stream));
        self.engine.live.update(|live| live.restart());
        self.running.set(true);
        self.tick();
    }

    fn stop(self) {
        self.generation.set_value(self.generation.get_value() + 1);
        if let Some(stream) = self.stream.get_value() {
            stop_tracks(&stream);
        }
        self.stream.set_value(None);
        if let Some(video) = self.video.get_untracked() {
            video.set_src_object(None);
        }
        self.starting.set(false);
        self.running.set(false);
        self.engine.live.update(|live| live.stopped());
    }

    fn measure_video(self) {
        if let Some(video) = self.video.get_untracked() {
            self.video_size
                .set((video.video_width(), video.video_height()));
        }
    }

    /// Once per display frame while the camera runs: send a frame when the slot is free.
    fn tick(self) {
        if !self.running.get_untracked() {
            return;
        }
        if self.engine.live.with_untracked(|live| live.can_send()) {
            self.send_frame();
        }
        request_animation_frame(move || self.tick());
    }

    fn send_frame(self) {
        let Some(video) = self.video.get_untracked() else {
            return;
        };
        let Some(rgba) = self.grab.grab_square(&video, self.mirror.get_untracked()) else {
            return;
        };
        let id = self.engine.next_id();
        self.engine.live.update(|live| live.sent(id, now_ms()));
        let saliency = self
            .saliency_on
            .get_untracked()
            .then(|| untrack(|| self.choice.method()));
        let request = Request::Frame {
            width: GRAB_SIDE,
            height: GRAB_SIDE,
            rgba,
            saliency,
        };
        self.engine.send_as(id, request, None);
    }
}

fn now_ms() -> f64 {
    window()
        .performance()
        .map_or_else(js_sys::Date::now, |p| p.now())
}
