//! Teach: a visitor's own classes. Samples (96×96 RGB) per class, a new linear head trained on
//! the frozen features of a shipped CIFAR-10 backbone (features computed once per sample and
//! view), held-out accuracy and a confusion matrix, and the project file that holds it all.
//! Plain Rust over Burn: the engine, the CLI (`pinhole teach`) and the tests run the same code.
//!
//! This is the Burn half; the Burn-free half (`pinhole_core::teach`) is re-exported here, so
//! `pinhole_compute::teach` names the whole of it.

mod head;
mod teacher;

pub use head::{HeadFit, fit_head};
pub use pinhole_core::teach::*;
pub use teacher::{Taught, TeachError, TeachProgress, teach, teach_with};
