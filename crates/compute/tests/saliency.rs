//! Saliency maps: the input gradient against finite differences on a tiny model, Grad-CAM's
//! shape and sign, and that Grad-CAM of the shipped model finds a CIFAR image pasted into one
//! quadrant of a flat grey canvas.

mod common;

use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::{Linear, LinearConfig, PaddingConfig2d};
use burn::tensor::{Device, Distribution, Tensor, TensorData};
use image::{DynamicImage, Rgb, RgbImage, imageops};
use pinhole_compute::data::{IMAGE_SIDE, images_to_tensor};
use pinhole_compute::model::{
    Classifier, Explainable, SaliencyMethod, grad_cam, gradient_map, input_gradient, load_weights,
    saliency, smooth_grad_map,
};
use pinhole_compute::vision::preprocess_image;

/// conv3×3 (3 → 4) → tanh → linear: small and smooth, so central differences are accurate.
#[derive(Module, Debug)]
struct Tiny {
    conv: Conv2d,
    linear: Linear,
}

const TINY_SIDE: usize = 6;

impl Tiny {
    fn new(device: &Device) -> Self {
        Tiny {
            conv: Conv2dConfig::new([3, 4], [3, 3])
                .with_padding(PaddingConfig2d::Explicit(1, 1, 1, 1))
                .init(device),
            linear: LinearConfig::new(4 * TINY_SIDE * TINY_SIDE, 3).init(device),
        }
    }
}

impl Explainable for Tiny {
    fn feature_map(&self, images: Tensor<4>) -> Tensor<4> {
        self.conv.forward(images).tanh()
    }
    fn head(&self, features: Tensor<4>) -> Tensor<2> {
        self.linear.forward(features.flatten::<2>(1, 3))
    }
}

fn values<const D: usize>(t: Tensor<D>) -> Vec<f32> {
    t.into_data().try_to_vec::<f32>().unwrap()
}

#[test]
fn input_gradient_matches_central_differences_on_a_tiny_model() {
    let device = Device::flex();
    device.seed(7);
    let model = Tiny::new(&device);
    let shape = [1, 3, TINY_SIDE, TINY_SIDE];
    let image = Tensor::<4>::random(shape, Distribution::Uniform(0.0, 1.0), &device);
    let class = 1;
    let analytic = values(input_gradient(&model, image.clone(), class));
    let base = values(image);
    let logit = |pixels: &[f32]| {
        let x = Tensor::<4>::from_data(TensorData::new(pixels.to_vec(), shape), &device);
        values(model.head(model.feature_map(x)))[class] as f64
    };
    let eps = 1e-2;
    let scale = analytic.iter().fold(0f32, |m, g| m.max(g.abs()));
    assert!(scale > 1e-3, "the gradient should not vanish: {scale}");
    for i in 0..base.len() {
        let (mut plus, mut minus) = (base.clone(), base.clone());
        plus[i] += eps;
        minus[i] -= eps;
        let numeric = (logit(&plus) - logit(&minus)) / (2.0 * eps as f64);
        let diff = (numeric as f32 - analytic[i]).abs();
        assert!(
            diff <= 2e-3 * scale + 1e-4,
            "pixel {i}: autodiff {} vs finite differences {numeric}",
            analytic[i]
        );
    }
}

fn shipped_fast(device: &Device) -> Classifier {
    let path = concat!(
        concat!(env!("CARGO_MANIFEST_DIR"), "/../.."),
        "/weights/fast.bin"
    );
    load_weights(&std::fs::read(path).unwrap(), "weights/fast.bin", device).unwrap()
}

#[test]
fn grad_cam_has_the_input_size_and_is_non_negative() {
    let device = Device::flex();
    let model = shipped_fast(&device);
    let records = common::records("test_batch.bin", 4);
    for record in &records {
        let image = images_to_tensor([&*record.pixels], &device);
        let map = grad_cam(&model, image, record.label as usize);
        assert_eq!(map.dims(), [IMAGE_SIDE, IMAGE_SIDE]);
        let v = values(map);
        assert!(v.iter().all(|&x| (0.0..=1.0).contains(&x)), "{v:?}");
        let max = v.iter().fold(0f32, |m, &x| m.max(x));
        assert!(
            (max - 1.0).abs() < 1e-5,
            "scaled to a maximum of 1, got {max}"
        );
    }
}

#[test]
fn smooth_grad_without_noise_is_the_gradient_and_with_noise_differs() {
    let device = Device::flex();
    let model = shipped_fast(&device);
    let record = &common::records("test_batch.bin", 1)[0];
    let image = images_to_tensor([&*record.pixels], &device);
    let class = record.label as usize;
    let vanilla = values(gradient_map(&model, image.clone(), class));
    let quiet = values(smooth_grad_map(&model, image.clone(), class, 4, 0.0));
    for (a, b) in vanilla.iter().zip(&quiet) {
        assert!((a - b).abs() < 1e-5, "{a} vs {b}");
    }
    let noisy = values(saliency(
        &model,
        image,
        class,
        SaliencyMethod::SmoothGrad {
            samples: 8,
            noise: 0.15,
        },
    ));
    assert_eq!(noisy.len(), IMAGE_SIDE * IMAGE_SIDE);
    let moved: f32 = vanilla.iter().zip(&noisy).map(|(a, b)| (a - b).abs()).sum();
    assert!(moved > 1.0, "noise should change the map (moved {moved})");
}

/// The share of a 32×32 map's mass inside the quadrant `q` (0 top-left, 1 top-right,
/// 2 bottom-left, 3 bottom-right).
fn quadrant_share(map: &[f32], q: usize) -> f32 {
    let half = IMAGE_SIDE / 2;
    let (qx, qy) = ((q % 2) * half, (q / 2) * half);
    let total: f32 = map.iter().sum();
    let inside: f32 = (0..IMAGE_SIDE * IMAGE_SIDE)
        .filter(|i| {
            let (x, y) = (i % IMAGE_SIDE, i / IMAGE_SIDE);
            (qx..qx + half).contains(&x) && (qy..qy + half).contains(&y)
        })
        .map(|i| map[i])
        .sum();
    if total > 0.0 { inside / total } else { 0.0 }
}

/// Each of the first 80 test records is pasted into one quadrant (cycling through the four) of
/// a flat grey 64×64 canvas, which the page's preprocessing shrinks to 32×32, and Grad-CAM
/// explains the record's true class. Chance is 0.25 of the mass per quadrant. Measured with the
/// shipped `fast` weights (7 epochs, f16 kernels): mean share 0.71, 59 of 80 above one half. The class
/// explained is the label, not the top prediction: the model recognises few of these shrunken,
/// grey-framed images (22 of 80 with the earlier 4-epoch weights), and a map of a wrong class
/// says nothing about localisation.
/// The thresholds (mean > 0.55, at least 44 of 80 above one half) leave room for retrained
/// weights while failing a map that ignores the image (≈0.25) or smears it evenly.
#[test]
fn grad_cam_of_the_shipped_model_finds_an_image_pasted_into_a_grey_canvas() {
    let device = Device::flex();
    let model = shipped_fast(&device);
    let records = common::records("test_batch.bin", 80);
    let mut shares = Vec::new();
    for (i, record) in records.iter().enumerate() {
        let q = i % 4;
        let mut canvas = RgbImage::from_pixel(64, 64, Rgb([128, 128, 128]));
        let side = IMAGE_SIDE as u32;
        let image = RgbImage::from_raw(side, side, record.to_rgb_interleaved()).unwrap();
        let (x, y) = ((q % 2) as i64 * 32, (q / 2) as i64 * 32);
        imageops::replace(&mut canvas, &image, x, y);
        let input = preprocess_image(&DynamicImage::ImageRgb8(canvas), "canvas").unwrap();
        let image = images_to_tensor([&*input.pixels], &device);
        let map = values(grad_cam(&model, image, record.label as usize));
        shares.push(quadrant_share(&map, q));
    }
    let mean = shares.iter().sum::<f32>() / shares.len() as f32;
    let majority = shares.iter().filter(|&&s| s > 0.5).count();
    println!("Grad-CAM mass in the image's quadrant: mean {mean:.3}, {majority}/80 above 0.5");
    assert!(mean > 0.55, "mean share {mean:.3}: {shares:?}");
    assert!(majority >= 44, "{majority}/80 above one half: {shares:?}");
}
