//! `labelscope scan`: the dataset's classes, splits and every scan problem with its path.

use anyhow::Result;

use super::args::{Format, ScanArgs};

/// Runs `scan`.
pub fn run(args: &ScanArgs) -> Result<()> {
    let ds = super::common::open(&args.dataset, 0)?;
    let counts = ds.class_counts();
    let mut splits: std::collections::BTreeMap<String, usize> = Default::default();
    for s in &ds.samples {
        *splits
            .entry(s.split.clone().unwrap_or_else(|| "-".into()))
            .or_default() += 1;
    }
    match args.format {
        Format::Json => {
            let classes: Vec<_> = ds
                .classes
                .iter()
                .zip(&counts)
                .map(|(c, n)| serde_json::json!({"label": c, "count": n}))
                .collect();
            let out = serde_json::json!({
                "source": ds.source, "root": ds.root, "layout": ds.layout, "num_samples": ds.samples.len(),
                "classes": classes, "splits": splits, "issues": ds.report.issues,
                "outside_root": ds.report.outside_root, "added": ds.report.added,
            });
            println!("{out}");
        }
        Format::Text => {
            println!(
                "{} samples in {} classes ({:?})",
                ds.samples.len(),
                ds.classes.len(),
                ds.layout
            );
            for (c, n) in ds.classes.iter().zip(&counts) {
                println!("  {n:>7}  {c}");
            }
            if splits.len() > 1 || !splits.contains_key("-") {
                println!(
                    "splits: {}",
                    splits
                        .iter()
                        .map(|(k, v)| format!("{k}={v}"))
                        .collect::<Vec<_>>()
                        .join(", ")
                );
            }
            if ds.report.outside_root > 0 {
                println!(
                    "{} samples resolve outside {} (absolute or ../ manifest rows, symlinks); they are read, never written",
                    ds.report.outside_root,
                    ds.root.display()
                );
            }
            println!("{} scan problems", ds.report.issues.len());
            for issue in &ds.report.issues {
                println!("  {issue}");
            }
        }
    }
    Ok(())
}
