//! The image facts: signatures kept apart, the cache, and the parts of `issues --shard`.

use super::*;

/// A 16x16 to 20x20 image of sample `k`'s own pattern.
fn write_image(path: &std::path::Path, k: u32, side: u32) {
    image::GrayImage::from_fn(side, side, |x, y| {
        image::Luma([((x * (k + 3) + y * y * k) % 251) as u8])
    })
    .save(path)
    .unwrap();
}

fn signatures_of(g: &GatheredFacts, n: usize) -> Vec<Option<Signature>> {
    (0..n)
        .map(|i| g.signatures.get(i).map(Cow::into_owned))
        .collect()
}

#[test]
fn facts_written_in_parts_come_back_with_their_signatures() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    for k in 0..8u32 {
        let class = if k % 2 == 0 { "a" } else { "b" };
        std::fs::create_dir_all(data.join(class)).unwrap();
        write_image(&data.join(class).join(format!("{k}.png")), k, 16);
    }
    let ds = crate::dataset::open_dataset(&data, &Default::default()).unwrap();
    let expected: Vec<Option<Signature>> = ds
        .samples
        .iter()
        .map(|s| image_facts(&s.path).signature)
        .collect();
    let job = JobControl::default();
    let mut parts = Vec::new();
    for k in 0..2u32 {
        let shard = crate::eval::parts::Shard { index: k, count: 2 };
        let mut part_ds = ds.clone();
        part_ds.samples.retain(|s| shard.contains(&s.id.0));
        let part = dir
            .path()
            .join("parts")
            .join(shard.part_name(FACTS_PART_EXT));
        let state = dir.path().join(format!("machine{k}"));
        let n = write_facts_part(&part_ds, Some(&state), &part, &job).unwrap();
        assert_eq!(n, part_ds.samples.len());
        parts.push(part);
    }
    // A machine with no cache of its own, on disk past 0 bytes and in memory.
    for past in [0, usize::MAX] {
        let state = dir.path().join(format!("final{past}"));
        let g = gather(&ds, Some(&state), &parts, past, &job);
        assert!(
            g.notes
                .iter()
                .any(|n| n == "8 images' facts read from 2 parts"),
            "{:?}",
            g.notes
        );
        assert_eq!(signatures_of(&g, 8), expected);
        assert_eq!(g.facts.iter().flatten().count(), 8);
        // Nothing was computed, so nothing was saved here.
        assert!(!state.join("problems").join("facts.json").exists());
    }
}

#[test]
fn signatures_kept_apart_come_back_the_same_and_are_saved_into_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    for (k, class) in ["a", "a", "a", "b", "b", "b"].into_iter().enumerate() {
        std::fs::create_dir_all(data.join(class)).unwrap();
        write_image(&data.join(class).join(format!("{k}.png")), k as u32, 16);
    }
    std::fs::write(data.join("b/broken.png"), b"not a png").unwrap();
    let ds = crate::dataset::open_dataset(&data, &Default::default()).unwrap();
    let n = ds.samples.len();
    assert_eq!(n, 7);
    let fresh = |ds: &Dataset| -> Vec<Option<Signature>> {
        ds.samples
            .iter()
            .map(|s| image_facts(&s.path).signature)
            .collect()
    };
    let mut expected = fresh(&ds);
    assert_eq!(expected.iter().flatten().count(), 6);
    let state = dir.path().join("state");
    let job = JobControl::default();
    let facts_file = state.join("problems").join("facts.json");
    let cached = |ds: &Dataset| -> Vec<Option<Signature>> {
        let plain: StampCache<ImageFacts> =
            StampCache::open(facts_file.clone(), FACTS_VERSION, FACTS_WHAT);
        ds.samples
            .iter()
            .map(|s| {
                let f = plain.get(&s.id.0, FileStamp::of(&s.path)).expect("cached");
                f.signature.clone()
            })
            .collect()
    };
    // Computed, then read back from the cache: on disk both times, never in the facts.
    for round in 0..2 {
        let g = gather(&ds, Some(&state), &[], 0, &job);
        assert!(
            g.signatures.on_disk() && g.notes.is_empty(),
            "round {round}"
        );
        assert_eq!(signatures_of(&g, n), expected, "round {round}");
        assert!(
            g.facts
                .iter()
                .all(|f| f.as_ref().is_some_and(|f| f.signature.is_none()))
        );
        assert_eq!(g.signatures.read_error(), None);
    }
    // The cache file holds every signature, put back as it was saved.
    assert_eq!(cached(&ds), expected);
    // A changed image is computed again; the others' signatures are saved back with it.
    let changed = ds
        .samples
        .iter()
        .position(|s| s.path.ends_with("a/1.png"))
        .unwrap();
    write_image(&ds.samples[changed].path, 40, 20);
    expected = fresh(&ds);
    let g = gather(&ds, Some(&state), &[], 0, &job);
    assert_eq!(signatures_of(&g, n), expected);
    assert_eq!(cached(&ds), expected);
    // Held in memory below the size: the same answers.
    let g = gather(&ds, Some(&state), &[], usize::MAX, &job);
    assert!(!g.signatures.on_disk());
    assert_eq!(signatures_of(&g, n), expected);
    // A cache that does not verify gives none of its signatures: all are computed again.
    let mut bytes = std::fs::read(&facts_file).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    std::fs::write(&facts_file, &bytes).unwrap();
    for (i, s) in ds.samples.iter().enumerate() {
        if expected[i].is_some() {
            write_image(&s.path, 60 + i as u32, 18);
        }
    }
    expected = fresh(&ds);
    let g = gather(&ds, Some(&state), &[], 0, &job);
    assert_eq!(signatures_of(&g, n), expected);
    assert_eq!(cached(&ds), expected);
}

#[test]
fn the_typed_colour_reads_as_the_cached_code_does() {
    use image::ExtendedColorType as C;
    for (c, code) in [
        (C::Rgb8, "Rgb8"),
        (C::L16, "L16"),
        (C::La8, "La8"),
        (C::Rgba32F, "Rgba32F"),
        (C::Cmyk8, "Cmyk8"),
        (C::L8, "L8"),
    ] {
        assert_eq!(colour_of(c), colour_name(code), "{code}");
    }
    assert_eq!(colour_of(C::L16), "16-bit greyscale");
}
