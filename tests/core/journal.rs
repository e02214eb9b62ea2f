//! The edit journal on disk: replay, a torn last line, and the lock against a second instance.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use labelscope::curation::{Action, JOURNAL_FILE, Journal, LOCK_FILE};

#[test]
fn replay_restores_edits_undo_and_redo() {
    let dir = tempfile::tempdir().unwrap();
    let expected = {
        let (mut j, mut s, w) = Journal::open(dir.path()).unwrap();
        assert!(w.is_empty());
        for (id, action) in [
            (
                "a",
                Action::Relabel {
                    label: Some("dog".into()),
                },
            ),
            (
                "b",
                Action::Exclude {
                    reason: "watermark/text".into(),
                },
            ),
        ] {
            let e = s.make_edit([id.to_string()], action);
            j.record_edit(&e).unwrap();
            s.apply(e);
        }
        j.record_undo().unwrap();
        s.undo();
        s
    };
    let (_j, replayed, warnings) = Journal::open(dir.path()).unwrap();
    assert!(warnings.is_empty(), "{warnings:?}");
    assert_eq!(replayed.samples(), expected.samples());
    assert!(replayed.can_redo());
}

#[test]
fn a_torn_last_line_is_skipped_and_cut_off() {
    let dir = tempfile::tempdir().unwrap();
    {
        let (mut j, s, _) = Journal::open(dir.path()).unwrap();
        let e = s.make_edit(["a".to_string()], Action::Include);
        j.record_edit(&e).unwrap();
        let e = s.make_edit(
            ["b".to_string()],
            Action::Exclude {
                reason: "ambiguous".into(),
            },
        );
        j.record_edit(&e).unwrap();
    }
    let path = dir.path().join(JOURNAL_FILE);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.extend_from_slice(b"{\"op\":\"edit\",\"seq\":3,\"ts_ms\":1,\"edit\":{\"ids\":[\"c\"");
    std::fs::write(&path, &bytes).unwrap();
    let (mut j, s, warnings) = Journal::open(dir.path()).unwrap();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("torn"));
    assert_eq!(s.get("b").unwrap().excluded.as_deref(), Some("ambiguous"));
    // New records after the cut replay cleanly.
    let e = s.make_edit(["c".to_string()], Action::AddTag { tag: "t".into() });
    j.record_edit(&e).unwrap();
    drop(j);
    let (_j, s2, w2) = Journal::open(dir.path()).unwrap();
    assert!(w2.is_empty(), "{w2:?}");
    assert!(s2.get("c").is_some());
}

#[test]
fn a_second_instance_is_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().unwrap();
    let (_j, _, _) = Journal::open(dir.path()).unwrap();
    // Pretend another live process holds the lock: pid 1 (init) is always alive.
    std::fs::write(dir.path().join(LOCK_FILE), "1\n").unwrap();
    let err = Journal::open(dir.path()).unwrap_err().to_string();
    assert!(
        err.contains("another labelscope") && err.contains(LOCK_FILE),
        "{err}"
    );
}
