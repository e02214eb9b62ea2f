//! The checked cache file and its encodings.

use super::checked_file::{read_checked, write_checked, write_checked_as};
use super::*;

#[test]
fn a_body_that_is_cut_grown_or_claims_too_much_does_not_verify() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.bin");
    write_checked(&path, 2, "facts", Some(3), b"abc").unwrap();
    let (header, body) = read_checked(&path, 2, "facts").unwrap().unwrap();
    assert_eq!((body.as_slice(), header.count), (&b"abc"[..], Some(3)));
    let good = std::fs::read(&path).unwrap();
    let checksum = |bytes: &[u8]| {
        std::fs::write(&path, bytes).unwrap();
        matches!(read_checked(&path, 2, "facts"), Err(CacheError::Checksum))
    };
    assert!(checksum(&good[..good.len() - 1]), "cut");
    assert!(checksum(&[&good[..], b"x"].concat()), "grown");
    let text = String::from_utf8(good.clone()).unwrap();
    let huge = text.replace("\"len\":3", "\"len\":300000000000");
    assert!(checksum(huge.as_bytes()), "a length past the file's");
    let no_line = text.split('\n').next().unwrap().to_string();
    std::fs::write(&path, no_line).unwrap();
    assert!(matches!(
        read_checked(&path, 2, "facts"),
        Err(CacheError::NoHeader)
    ));
    assert!(matches!(
        read_checked(&dir.path().join("none.bin"), 2, "facts"),
        Ok(None)
    ));
}

/// Shaped like a prediction outcome: an enum, a defaulted field, a skipped field, floats.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Outcome {
    Predicted {
        probs: Vec<f32>,
        #[serde(default)]
        other_top: f32,
        #[serde(skip)]
        kept_apart: Option<u8>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        note: Option<String>,
    },
    Failed(String),
}

fn stamp(size: u64) -> FileStamp {
    FileStamp {
        size,
        mtime_ns: -1_700_000_000_123_456_789_i128 * 1_000_000,
    }
}

fn predicted(p: f32) -> Outcome {
    Outcome::Predicted {
        probs: vec![p, 1.0 - p, f32::MIN_POSITIVE, -0.0, f32::NAN],
        other_top: 0.125,
        kept_apart: None,
        note: None,
    }
}

#[test]
fn entries_come_back_bit_for_bit_from_messagepack() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("p").join("k.json");
    let mut cache = StampCache::open(path.clone(), 3, "model predictions");
    cache.insert("a/1.png".into(), stamp(10), predicted(0.1));
    cache.insert("b/2.png".into(), stamp(11), Outcome::Failed("bad".into()));
    let noted = Outcome::Predicted {
        probs: vec![1.0 / 3.0],
        other_top: 0.0,
        kept_apart: None,
        note: Some("x".into()),
    };
    cache.insert("c/3.png".into(), stamp(12), noted.clone());
    cache.save().unwrap();
    let (header, _) = read_checked(&path, 3, "model predictions")
        .unwrap()
        .unwrap();
    assert_eq!(header.encoding.as_deref(), Some(MSGPACK));

    let back: StampCache<Outcome> = StampCache::open(path, 3, "model predictions");
    assert_eq!(back.notice(), None);
    assert_eq!(back.len(), 3);
    let Some(Outcome::Predicted { probs, .. }) = back.get("a/1.png", Some(stamp(10))) else {
        panic!("a/1.png is not cached");
    };
    let Outcome::Predicted { probs: want, .. } = predicted(0.1) else {
        unreachable!()
    };
    let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
    assert_eq!(bits(probs), bits(&want));
    assert_eq!(back.get("c/3.png", Some(stamp(12))), Some(&noted));
    assert_eq!(
        back.get("b/2.png", Some(stamp(11))),
        Some(&Outcome::Failed("bad".into()))
    );
    assert_eq!(back.get("b/2.png", Some(stamp(99))), None, "another stamp");
}

#[test]
fn a_json_body_from_an_older_labelscope_is_still_read_and_saved_again_as_messagepack() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("facts.json");
    // What labelscope wrote before the MessagePack body: no `encoding`, entries as JSON,
    // `other_top` absent (a field added later, read with its default).
    let body = br#"{"a.png":{"stamp":{"size":5,"mtime_ns":-7},"value":{"predicted":{"probs":[0.25,0.75]}}}}"#;
    write_checked(&path, 3, "model predictions", None, body).unwrap();
    let mut cache: StampCache<Outcome> = StampCache::open(path.clone(), 3, "model predictions");
    assert_eq!(cache.notice(), None);
    let old_stamp = FileStamp {
        size: 5,
        mtime_ns: -7,
    };
    let want = Outcome::Predicted {
        probs: vec![0.25, 0.75],
        other_top: 0.0,
        kept_apart: None,
        note: None,
    };
    assert_eq!(cache.get("a.png", Some(old_stamp)), Some(&want));
    cache.insert("b.png".into(), stamp(1), predicted(0.5));
    cache.save().unwrap();
    let again: StampCache<Outcome> = StampCache::open(path.clone(), 3, "model predictions");
    assert_eq!((again.notice(), again.len()), (None, 2));
    assert_eq!(again.get("a.png", Some(old_stamp)), Some(&want));
    let (header, _) = read_checked(&path, 3, "model predictions")
        .unwrap()
        .unwrap();
    assert_eq!(header.encoding.as_deref(), Some(MSGPACK));
}

#[test]
fn an_unknown_encoding_or_a_body_that_does_not_decode_is_discarded_with_a_notice() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.json");
    write_checked_as(&path, 1, "x", None, Some("zstd"), b"\x93\x01").unwrap();
    let cache: StampCache<Outcome> = StampCache::open(path.clone(), 1, "x");
    assert!(cache.is_empty());
    assert!(
        cache.notice().unwrap().contains("unknown encoding"),
        "{:?}",
        cache.notice()
    );
    // MessagePack that verifies but holds something else.
    write_checked_as(&path, 1, "x", None, Some(MSGPACK), b"\x93\x01\x02\x03").unwrap();
    let cache: StampCache<Outcome> = StampCache::open(path, 1, "x");
    assert!(cache.is_empty());
    assert!(
        cache.notice().unwrap().contains("unreadable"),
        "{:?}",
        cache.notice()
    );
}

/// The MessagePack body is decoded as it is read: a body that still decodes but lost a byte
/// to an edit, or gained one, is discarded all the same; the cache starts empty with a notice.
#[test]
fn a_body_decoded_as_it_is_read_is_kept_only_when_it_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("facts.json");
    let mut cache: StampCache<Outcome> = StampCache::open(path.clone(), 1, "facts");
    for k in 0..50u64 {
        cache.insert(
            format!("{k}.png"),
            stamp(k),
            Outcome::Failed(format!("why {k}")),
        );
    }
    cache.save().unwrap();
    let again: StampCache<Outcome> = StampCache::open(path.clone(), 1, "facts");
    assert_eq!((again.len(), again.notice()), (50, None));
    let good = std::fs::read(&path).unwrap();
    // "why 7" -> "why 8": the same MessagePack shape, another value.
    let at = good.windows(5).position(|w| w == b"why 7").unwrap();
    let mut edited = good.clone();
    edited[at + 4] = b'8';
    let grown = [&good[..], &[0xc0]].concat(); // one more MessagePack nil
    for (bytes, what) in [(edited, "edited"), (grown, "grown")] {
        std::fs::write(&path, &bytes).unwrap();
        let c: StampCache<Outcome> = StampCache::open(path.clone(), 1, "facts");
        assert_eq!(c.len(), 0, "{what}");
        assert!(c.notice().unwrap().contains("checksum"), "{what}");
    }
}

#[test]
fn a_streamed_save_writes_its_header_last_and_each_value_as_prepared() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("facts.json");
    let mut cache: StampCache<Outcome> = StampCache::open(path.clone(), 1, "facts");
    for k in 0..50 {
        cache.insert(format!("{k}.png"), stamp(k), predicted(k as f32 / 50.0));
    }
    // Saved with every probability doubled, as a job puts back what it kept apart.
    cache
        .save_with(|_, v| match v {
            Outcome::Predicted { probs, .. } => Cow::Owned(Outcome::Predicted {
                probs: probs.iter().map(|p| p * 2.0).collect(),
                other_top: 0.0,
                kept_apart: None,
                note: None,
            }),
            Outcome::Failed(_) => Cow::Borrowed(v),
        })
        .unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let line_end = bytes.iter().position(|&b| b == b'\n').unwrap();
    assert_eq!(line_end, 1023, "the header fills the room left for it");
    assert!(bytes[..line_end].ends_with(b" "));
    // Each entry is shown to `each` once as it is decoded, and may be changed before it is kept.
    let mut seen = Vec::new();
    let back: StampCache<Outcome> = StampCache::open_with(path.clone(), 1, "facts", |id, v| {
        seen.push(id.to_string());
        if id == "7.png" {
            *v = Outcome::Failed("changed".into());
        }
    });
    assert_eq!((back.notice(), back.len(), seen.len()), (None, 50, 50));
    match back.get("10.png", Some(stamp(10))) {
        Some(Outcome::Predicted { probs, .. }) => assert_eq!(probs[..2], [0.4, 1.6]),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        back.get("7.png", Some(stamp(7))),
        Some(&Outcome::Failed("changed".into()))
    );
    // The padded header is checked like any other: a changed byte in it does not verify.
    let mut tampered = bytes.clone();
    tampered[line_end - 1] = b'x';
    std::fs::write(&path, &tampered).unwrap();
    let bad: StampCache<Outcome> = StampCache::open(path.clone(), 1, "facts");
    assert!(bad.is_empty() && bad.notice().is_some());
    // A file without room for the header (written whole, as the embedding store does) reads
    // as before.
    let body = rmp_serde::to_vec_named(&back.entries).unwrap();
    write_checked_as(&path, 1, "facts", None, Some(MSGPACK), &body).unwrap();
    let plain: StampCache<Outcome> = StampCache::open(path, 1, "facts");
    assert_eq!((plain.notice(), plain.len()), (None, 50));
}
