//! An image's 32x32 greyscale signature (for lining up near-copy candidates in pixels, see
//! [`super::aligned`]) and how it is stored: base64 text in JSON, raw bytes in the caches'
//! MessagePack.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Side of the signature in pixels.
pub const SIDE: usize = 32;

/// A 32x32 greyscale thumbnail of an image (the whole frame, aspect not kept).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signature(pub Vec<u8>);

/// Base64 text in a human-readable format (JSON); raw bytes in a binary one (the caches'
/// MessagePack: 1,024 bytes a signature instead of 1,368 characters to decode, a million times).
impl Serialize for Signature {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.serialize_str(&STANDARD.encode(&self.0))
        } else {
            s.serialize_bytes(&self.0)
        }
    }
}

/// A signature's pixels, as bytes or as base64 text (how JSON, and caches written before the
/// bytes, hold them).
struct Pixels;

impl serde::de::Visitor<'_> for Pixels {
    type Value = Vec<u8>;
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("1,024 pixels as bytes or base64 text")
    }
    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Vec<u8>, E> {
        STANDARD.decode(text.as_bytes()).map_err(E::custom)
    }
    fn visit_bytes<E: serde::de::Error>(self, bytes: &[u8]) -> Result<Vec<u8>, E> {
        Ok(bytes.to_vec())
    }
    fn visit_byte_buf<E: serde::de::Error>(self, bytes: Vec<u8>) -> Result<Vec<u8>, E> {
        Ok(bytes)
    }
}

impl<'de> Deserialize<'de> for Signature {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let bytes = if d.is_human_readable() {
            d.deserialize_str(Pixels)?
        } else {
            d.deserialize_any(Pixels)?
        };
        if bytes.len() != SIDE * SIDE {
            return Err(serde::de::Error::custom("a signature has 1024 pixels"));
        }
        Ok(Self(bytes))
    }
}

/// The signature of a decoded image: a centred triangle-filter resize (so a mirrored image
/// gives the mirrored signature), after a quick thumbnail to 256 px for large images.
pub fn signature(img: &image::DynamicImage) -> Signature {
    use image::imageops::FilterType;
    let grey = if img.width() > 512 || img.height() > 512 {
        img.thumbnail_exact(256, 256).to_luma8()
    } else {
        img.to_luma8()
    };
    let small = image::imageops::resize(&grey, SIDE as u32, SIDE as u32, FilterType::Triangle);
    Signature(small.into_raw())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pixels() -> Signature {
        Signature((0..SIDE * SIDE).map(|k| (k * 7 % 256) as u8).collect())
    }

    #[test]
    fn json_holds_base64_text_and_messagepack_raw_bytes_and_both_read_back() {
        let sig = pixels();
        let json = serde_json::to_string(&sig).unwrap();
        assert_eq!(json, format!("\"{}\"", STANDARD.encode(&sig.0)));
        assert_eq!(serde_json::from_str::<Signature>(&json).unwrap(), sig);
        let packed = rmp_serde::to_vec_named(&sig).unwrap();
        // bin 16: marker, two length bytes, the 1,024 pixels.
        assert_eq!(packed.len(), 3 + SIDE * SIDE);
        assert_eq!(packed[0], 0xc5);
        assert_eq!(rmp_serde::from_slice::<Signature>(&packed).unwrap(), sig);
    }

    #[test]
    fn base64_text_in_messagepack_still_reads_and_a_wrong_size_does_not() {
        let sig = pixels();
        // The JSON form inside a binary body is accepted too.
        let text = rmp_serde::to_vec_named(&STANDARD.encode(&sig.0)).unwrap();
        assert_eq!(rmp_serde::from_slice::<Signature>(&text).unwrap(), sig);
        let short = rmp_serde::to_vec_named(&Signature(vec![1, 2, 3])).unwrap();
        assert!(rmp_serde::from_slice::<Signature>(&short).is_err());
        assert!(serde_json::from_str::<Signature>("\"AAEC\"").is_err());
    }
}
