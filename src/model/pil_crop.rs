//! Pillow's pixels after the resize: the interleaved 8-bit image both resizers work on, the
//! crop with zero padding torchvision uses, and Python's rounding of the crop offset.

/// An interleaved 8-bit image.
#[derive(Clone, Debug, PartialEq)]
pub struct Pixels {
    /// Width.
    pub width: usize,
    /// Height.
    pub height: usize,
    /// Channels (1 or 3).
    pub channels: usize,
    /// `height * width * channels` values.
    pub data: Vec<u8>,
}

/// Python's `round` (half to even), as torchvision's centre crop uses it.
pub fn round_half_even(v: f64) -> i64 {
    let r = v.round();
    if (v - v.trunc()).abs() == 0.5 && r % 2.0 != 0.0 {
        (r - v.signum()) as i64
    } else {
        r as i64
    }
}

/// `src` cropped to `width x height` at (`left`, `top`), which may lie partly outside: those
/// pixels are 0 (torchvision pads a crop larger than the image with zeros).
pub fn crop(src: &Pixels, left: i64, top: i64, width: usize, height: usize) -> Pixels {
    let c = src.channels;
    let mut data = vec![0u8; width * height * c];
    for y in 0..height {
        let sy = top + y as i64;
        if sy < 0 || sy >= src.height as i64 {
            continue;
        }
        for x in 0..width {
            let sx = left + x as i64;
            if sx < 0 || sx >= src.width as i64 {
                continue;
            }
            let s = (sy as usize * src.width + sx as usize) * c;
            let d = (y * width + x) * c;
            data[d..d + c].copy_from_slice(&src.data[s..s + c]);
        }
    }
    Pixels {
        width,
        height,
        channels: c,
        data,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_rounding_is_half_to_even() {
        assert_eq!(
            [0.5, 1.5, 2.5, 58.5, -0.5, 2.4, 2.6].map(round_half_even),
            [0, 2, 2, 58, 0, 2, 3]
        );
    }

    #[test]
    fn crop_pads_outside_with_zeros() {
        let src = Pixels {
            width: 2,
            height: 2,
            channels: 1,
            data: vec![1, 2, 3, 4],
        };
        assert_eq!(crop(&src, -1, 0, 3, 2).data, vec![0, 1, 2, 0, 3, 4]);
    }
}
