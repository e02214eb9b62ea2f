//! Crash safety of the edit journal: a child process applying edits is killed with SIGKILL at
//! random points; every edit it acknowledged must be there after replay. Plus replay equals the
//! in-memory state after random edit/undo/redo sequences.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use crate::common;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use labelscope::curation::{Action, CurationState, Journal};

/// Tiny deterministic PRNG (xorshift) so the test needs no extra crate and is reproducible.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

#[test]
fn acknowledged_edits_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    for c in ["cat", "dog"] {
        for k in 0..5 {
            common::png(&dir.path().join(format!("{c}/{k}.png")), [k as u8, 0, 0]);
        }
    }
    let mut rng = Rng(0x5eed_1234_abcd);
    let trials = 60;
    let mut acknowledged: Vec<u64> = Vec::new();
    let mut next = 0u64;
    for _ in 0..trials {
        let mut child = Command::new(env!("CARGO_BIN_EXE_labelscope"))
            .args([
                "edit-stress",
                dir.path().to_str().unwrap(),
                "--start",
                &next.to_string(),
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let stop_after = 1 + rng.below(40);
        let mut seen = 0;
        while seen < stop_after {
            match lines.next() {
                Some(Ok(line)) => {
                    let n: u64 = line.trim_start_matches("ack ").parse().unwrap();
                    acknowledged.push(n);
                    next = n + 1;
                    seen += 1;
                }
                _ => break,
            }
        }
        child.kill().unwrap(); // SIGKILL on Unix
        // Anything acknowledged while we were killing it counts too.
        for line in lines.map_while(Result::ok) {
            if let Ok(n) = line.trim_start_matches("ack ").parse::<u64>() {
                acknowledged.push(n);
                next = n + 1;
            }
        }
        let _ = child.wait();
        let _ = std::fs::remove_file(
            dir.path()
                .join(".labelscope")
                .join(labelscope::curation::LOCK_FILE),
        );
        let (state, _warnings) = Journal::read_state(&dir.path().join(".labelscope")).unwrap();
        let tags: std::collections::HashSet<String> = state
            .samples()
            .values()
            .flat_map(|e| e.tags.iter().cloned())
            .collect();
        for n in &acknowledged {
            assert!(
                tags.contains(&format!("stress-{n}")),
                "acknowledged edit {n} lost after SIGKILL"
            );
        }
    }
    assert!(
        acknowledged.len() >= trials,
        "{} edits acknowledged over {trials} trials",
        acknowledged.len()
    );
}

#[test]
fn replay_equals_the_in_memory_state_after_random_sequences() {
    let mut rng = Rng(42);
    for round in 0..20 {
        let dir = tempfile::tempdir().unwrap();
        let (mut journal, mut state, _) = Journal::open(dir.path()).unwrap();
        let ids: Vec<String> = (0..6).map(|i| format!("s{i}.png")).collect();
        for _ in 0..60 {
            match rng.below(6) {
                0 => {
                    if state.can_undo() {
                        journal.record_undo().unwrap();
                        state.undo();
                    }
                }
                1 => {
                    if state.can_redo() {
                        journal.record_redo().unwrap();
                        state.redo();
                    }
                }
                k => {
                    let pick: Vec<String> =
                        ids.iter().filter(|_| rng.below(2) == 0).cloned().collect();
                    let action = match k {
                        2 => Action::Relabel {
                            label: Some(["cat", "dog"][rng.below(2) as usize].into()),
                        },
                        3 => Action::Exclude {
                            reason: "watermark/text".into(),
                        },
                        4 => Action::Include,
                        _ => Action::AddTag {
                            tag: format!("t{}", rng.below(3)),
                        },
                    };
                    let edit = state.make_edit(pick, action);
                    journal.record_edit(&edit).unwrap();
                    state.apply(edit);
                }
            }
        }
        drop(journal);
        let (replayed, warnings): (CurationState, _) = Journal::read_state(dir.path()).unwrap();
        assert!(warnings.is_empty());
        assert_eq!(replayed.samples(), state.samples(), "round {round}");
        assert_eq!(
            (replayed.can_undo(), replayed.can_redo()),
            (state.can_undo(), state.can_redo())
        );
    }
}
