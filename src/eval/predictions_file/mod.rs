//! The predictions table: the one place its format is written ([`write`], by `labelscope
//! predict`) and read ([`read`], by `--predictions` and File > Import), so a file labelscope
//! writes is one it reads back unchanged. CSV, Parquet or JSON Lines; one row per sample with
//! `path` and `pred`, optional `confidence`, `prob_<label>` columns (plus `prob_other`), the
//! model's own `model_top1`/`model_top1_prob`/`model_top5`, `error` and `raw_output`.

pub mod read;
pub mod write;
