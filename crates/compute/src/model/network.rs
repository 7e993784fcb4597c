//! A network with the names of its classes: what a weights file holds and what the classifier
//! runs. CIFAR-10's network and a visitor's own (a head trained on the Teach page) are both one.

use super::Classifier;
use super::class_names::{cifar_class_names, is_cifar};

#[derive(Clone, Debug)]
pub struct Network {
    pub model: Classifier,
    /// One name per output of the head, in order.
    pub classes: Vec<String>,
}

impl Network {
    /// A network for CIFAR-10's ten classes.
    pub fn cifar(model: Classifier) -> Self {
        Network {
            model,
            classes: cifar_class_names(),
        }
    }

    /// Whether it classifies CIFAR-10 (and so can be evaluated on CIFAR-10 records).
    pub fn is_cifar(&self) -> bool {
        is_cifar(&self.classes)
    }
}
