//! Camera plumbing shared by the Classify page's webcam and the Teach page's camera: opening a
//! stream (with a message a visitor can act on when that fails), stopping it, and grabbing the
//! centre square of the current frame through a 2D canvas.

use leptos::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    CanvasRenderingContext2d, DomException, HtmlCanvasElement, HtmlVideoElement, MediaStream,
    MediaStreamConstraints, MediaStreamTrack,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Facing {
    /// The front camera (the user's side): `facingMode: "user"`.
    User,
    /// The back camera: `facingMode: "environment"`.
    Environment,
}

impl Facing {
    pub fn mode(self) -> &'static str {
        match self {
            Facing::User => "user",
            Facing::Environment => "environment",
        }
    }
}

/// Grabs the centre square of a video's frames at `side`×`side` through one canvas of its own
/// (made on the first grab and kept: it is read many times a second).
#[derive(Clone, Copy)]
pub struct SquareGrab {
    side: u32,
    context: StoredValue<Option<CanvasRenderingContext2d>, LocalStorage>,
}

impl SquareGrab {
    pub fn new(side: u32) -> Self {
        SquareGrab {
            side,
            context: StoredValue::new_local(None),
        }
    }

    /// The centre square of `video`'s current frame at this grab's side, mirrored if asked, as
    /// RGBA; `None` before the video has a frame or where the canvas cannot be read.
    pub fn grab_square(self, video: &HtmlVideoElement, mirror: bool) -> Option<Vec<u8>> {
        if video.ready_state() < 2 || video.video_width() == 0 {
            return None;
        }
        if self.context.with_value(Option::is_none) {
            self.context.set_value(Some(grab_context_sized(self.side)?));
        }
        let context = self.context.get_value()?;
        let (w, h) = (video.video_width() as f64, video.video_height() as f64);
        let side = w.min(h);
        let g = self.side as f64;
        context.save();
        if mirror {
            context.translate(g, 0.0).ok()?;
            context.scale(-1.0, 1.0).ok()?;
        }
        let drawn = context
            .draw_image_with_html_video_element_and_sw_and_sh_and_dx_and_dy_and_dw_and_dh(
                video,
                (w - side) / 2.0,
                (h - side) / 2.0,
                side,
                side,
                0.0,
                0.0,
                g,
                g,
            );
        context.restore();
        drawn.ok()?;
        Some(context.get_image_data(0.0, 0.0, g, g).ok()?.data().0)
    }
}

/// A `side`×`side` canvas's 2D context, set up for frequent `getImageData` reads.
fn grab_context_sized(side: u32) -> Option<CanvasRenderingContext2d> {
    let canvas: HtmlCanvasElement = document().create_element("canvas").ok()?.dyn_into().ok()?;
    canvas.set_width(side);
    canvas.set_height(side);
    let options = js_sys::Object::new();
    js_sys::Reflect::set(&options, &"willReadFrequently".into(), &true.into()).ok()?;
    canvas
        .get_context_with_context_options("2d", &options)
        .ok()??
        .dyn_into()
        .ok()
}

/// Asks for the camera; the error is a message for the page.
pub async fn open_stream(facing: Facing) -> Result<MediaStream, String> {
    let devices = window()
        .navigator()
        .media_devices()
        .map_err(|_| NO_CAMERA_API.to_string())?;
    let video = js_sys::Object::new();
    let set = |object: &js_sys::Object, key: &str, value: JsValue| {
        let _ = js_sys::Reflect::set(object, &key.into(), &value);
    };
    let ideal = |value: JsValue| {
        let o = js_sys::Object::new();
        set(&o, "ideal", value);
        JsValue::from(o)
    };
    set(&video, "facingMode", ideal(facing.mode().into()));
    set(&video, "width", ideal(640.into()));
    set(&video, "height", ideal(480.into()));
    let constraints = MediaStreamConstraints::new();
    constraints.set_video(&video);
    constraints.set_audio(&false.into());
    let promise = devices
        .get_user_media_with_constraints(&constraints)
        .map_err(|e| camera_error_message(&e))?;
    JsFuture::from(promise)
        .await
        .map(|stream| stream.unchecked_into())
        .map_err(|e| camera_error_message(&e))
}

const NO_CAMERA_API: &str = "This browser gives this page no camera access (pages must be served over HTTPS or from localhost).";

fn camera_error_message(error: &JsValue) -> String {
    let (name, detail) = match error.dyn_ref::<DomException>() {
        Some(e) => (e.name(), e.message()),
        None => (String::new(), error.as_string().unwrap_or_default()),
    };
    match name.as_str() {
        "NotAllowedError" | "SecurityError" | "PermissionDeniedError" => {
            "Camera permission was denied. Allow the camera for this page in the browser's site settings, then press Start camera again.".into()
        }
        "NotFoundError" | "DevicesNotFoundError" | "OverconstrainedError" => {
            "No camera was found. Connect a camera (or choose the other one) and try again.".into()
        }
        "NotReadableError" | "TrackStartError" | "AbortError" => {
            "The camera is in use by another application or could not be started. Close the other application and try again.".into()
        }
        _ if detail.is_empty() => format!("The camera could not be started ({name})."),
        _ => format!("The camera could not be started: {detail}"),
    }
}

pub fn stop_tracks(stream: &MediaStream) {
    for track in stream.get_tracks().iter() {
        track.unchecked_into::<MediaStreamTrack>().stop();
    }
}
