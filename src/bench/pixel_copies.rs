//! The pixel check's false alarms and power on generated images: families of look-alikes (the
//! same soft blobs moved a few pixels, resized and dimmed, as garments of one kind look alike)
//! plus copies of some members, shifted, mirrored, cropped or with noise added. Candidates are
//! each image's 10 nearest by signature (the hardest look-alikes); a copy's original is always
//! among its candidates, so the power is the pixel check's own. The false-alarm share is the
//! clean images confirmed as a copy of anything; the power is the copies confirmed naming their
//! original.

use serde::Serialize;

use crate::embed::knn::Neighbour;
use crate::problems::{PixelCheckOptions, Signature, pixel_copies, signature};

/// A seeded stream of numbers in [0, 1).
fn stream(seed: u64) -> impl FnMut() -> f32 {
    let mut s = seed.wrapping_mul(2654435761).wrapping_add(17);
    move || {
        s = s
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (s >> 33) as f32 / (1u64 << 31) as f32
    }
}

/// Soft blobs `(x, y, radius, brightness)` drawn on a 112x112 greyscale image.
pub fn draw_blobs(spots: &[(f32, f32, f32, f32)]) -> image::GrayImage {
    image::GrayImage::from_fn(112, 112, |x, y| {
        let v: f32 = spots
            .iter()
            .map(|(cx, cy, r, b)| {
                let d2 = (x as f32 - cx).powi(2) + (y as f32 - cy).powi(2);
                b * (-d2 / (2.0 * r * r)).exp()
            })
            .sum();
        image::Luma([(v.min(1.0) * 230.0) as u8])
    })
}

/// Three to six blobs placed by `seed`.
pub fn random_blobs(seed: u64) -> Vec<(f32, f32, f32, f32)> {
    let mut next = stream(seed);
    let count = 3 + (next() * 4.0) as usize;
    (0..count)
        .map(|_| {
            (
                20.0 + 72.0 * next(),
                20.0 + 72.0 * next(),
                6.0 + 14.0 * next(),
                0.5 + 0.5 * next(),
            )
        })
        .collect()
}

/// `image` changed as copy number `k` is: shifted, mirrored, cropped and resized back, or
/// with noise added.
fn copy_of(image: &image::GrayImage, k: usize, seed: u64) -> image::GrayImage {
    use image::imageops;
    let mut next = stream(seed);
    match k % 4 {
        0 => {
            let (dx, dy) = (3 + (next() * 6.0) as u32, (next() * 6.0) as u32);
            image::GrayImage::from_fn(112, 112, |x, y| {
                *image.get_pixel(x.saturating_sub(dx), y.saturating_sub(dy))
            })
        }
        1 => imageops::flip_horizontal(image),
        2 => {
            let c = 4 + (next() * 8.0) as u32;
            let inner = imageops::crop_imm(image, c, c, 112 - 2 * c, 112 - 2 * c).to_image();
            imageops::resize(&inner, 112, 112, imageops::FilterType::Triangle)
        }
        _ => image::GrayImage::from_fn(112, 112, |x, y| {
            let v = image.get_pixel(x, y).0[0] as f32 + 12.0 * (next() - 0.5);
            image::Luma([v.clamp(0.0, 255.0) as u8])
        }),
    }
}

/// `families` families of `members` look-alikes each (blobs moved up to `spread` pixels,
/// radii and brightness changed up to 15%), then `copies` copies of the first members;
/// returns the signatures and, per copy, its original.
pub fn look_alike_set(
    families: usize,
    members: usize,
    spread: f32,
    copies: usize,
    seed: u64,
) -> (Vec<Signature>, Vec<usize>) {
    let mut next = stream(seed ^ 0x5eed);
    let mut images = Vec::new();
    for f in 0..families {
        let base = random_blobs(seed * 1000 + f as u64);
        for _ in 0..members {
            let moved: Vec<_> = base
                .iter()
                .map(|(x, y, r, b)| {
                    (
                        x + spread * (2.0 * next() - 1.0),
                        y + spread * (2.0 * next() - 1.0),
                        r * (0.85 + 0.3 * next()),
                        b * (0.85 + 0.3 * next()),
                    )
                })
                .collect();
            images.push(draw_blobs(&moved));
        }
    }
    let n = images.len();
    let originals: Vec<usize> = (0..copies).map(|c| (c * 37) % n).collect();
    for (k, &o) in originals.iter().enumerate() {
        let copy = copy_of(&images[o], k, seed * 7919 + k as u64);
        images.push(copy);
    }
    let sigs = images
        .into_iter()
        .map(|i| signature(&image::DynamicImage::ImageLuma8(i)))
        .collect();
    (sigs, originals)
}

/// The `k` nearest signatures of each (squared pixel distance), nearest first.
fn nearest_by_pixels(sigs: &[Signature], k: usize) -> Vec<Vec<Neighbour>> {
    sigs.iter()
        .enumerate()
        .map(|(i, a)| {
            let mut all: Vec<Neighbour> = sigs
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(j, b)| Neighbour {
                    sample: j,
                    distance: a
                        .0
                        .iter()
                        .zip(&b.0)
                        .map(|(&p, &q)| (p as f32 - q as f32).powi(2))
                        .sum(),
                })
                .collect();
            all.sort_by(|x, y| x.distance.total_cmp(&y.distance));
            all.truncate(k);
            all
        })
        .collect()
}

/// One setting's figures over the seeds.
#[derive(Clone, Debug, Serialize)]
pub struct PixelCopiesRow {
    /// How far look-alikes' blobs move, in pixels of 112.
    pub spread: f32,
    /// Mean share of the clean images confirmed as copies.
    pub false_alarm_mean: f64,
    /// Largest share in one seed.
    pub false_alarm_max: f64,
    /// Mean share of the copies confirmed, each naming its original.
    pub power: f64,
    /// The same per change: shifted, mirrored, cropped, noisy.
    pub power_by_change: [f64; 4],
}

/// Runs `seeds` seeds of `families` x `members` look-alikes and `copies` copies for each
/// look-alike spread.
pub fn bench_pixel_copies(
    families: usize,
    members: usize,
    copies: usize,
    seeds: u64,
) -> Vec<PixelCopiesRow> {
    let n = families * members;
    [2.0f32, 4.0, 8.0]
        .into_iter()
        .map(|spread| {
            let (mut fa_sum, mut fa_max, mut found) = (0.0, 0.0f64, 0.0);
            let mut by_change = [0.0f64; 4];
            for seed in 0..seeds {
                let (sigs, originals) = look_alike_set(families, members, spread, copies, seed);
                let mut hood = nearest_by_pixels(&sigs, 10);
                for (c, &o) in originals.iter().enumerate() {
                    let list = &mut hood[n + c];
                    if !list.iter().any(|nb| nb.sample == o) {
                        list.pop();
                        list.insert(
                            0,
                            Neighbour {
                                sample: o,
                                distance: 0.0,
                            },
                        );
                    }
                }
                let rows: Vec<u32> = (0..sigs.len() as u32).collect();
                let sig = |s: usize| sigs.get(s).map(std::borrow::Cow::Borrowed);
                let confirmed = pixel_copies(&rows, &hood, sig, &PixelCheckOptions::default());
                let mut alarmed = vec![false; n];
                let mut hits = 0usize;
                for c in &confirmed {
                    let is_pair = |a: usize, b: usize| a >= n && originals[a - n] == b;
                    if is_pair(c.sample, c.other) || is_pair(c.other, c.sample) {
                        if c.sample >= n {
                            hits += 1;
                            by_change[(c.sample - n) % 4] += 1.0;
                        }
                    } else if c.sample < n {
                        alarmed[c.sample] = true;
                    }
                }
                let fa = alarmed.iter().filter(|&&a| a).count() as f64 / n as f64;
                fa_sum += fa;
                fa_max = fa_max.max(fa);
                found += hits as f64 / copies.max(1) as f64;
            }
            PixelCopiesRow {
                spread,
                false_alarm_mean: fa_sum / seeds as f64,
                false_alarm_max: fa_max,
                power: found / seeds as f64,
                power_by_change: by_change
                    .map(|h| h / (seeds as f64 * copies.div_ceil(4).max(1) as f64)),
            }
        })
        .collect()
}
