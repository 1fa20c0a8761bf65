//! The knowledge set's tests, by topic: the files and their checks (`files`), the makers (their
//! registry organisations, OUIs, texts and paths: `makers`) and what audit judges with (`audit`).

use super::entry::Check;
use super::*;

mod audit;
mod files;
mod makers;
mod registry_rules;

/// A set with these user files (path, text), kept for the rest of the test process.
fn with(files: &[(&str, &str)]) -> Result<&'static Knowledge, String> {
    let files: Vec<(PathBuf, String)> = files
        .iter()
        .map(|(p, t)| (PathBuf::from(p), t.to_string()))
        .collect();
    Knowledge::with_user_files(&files)
        .map(|k| &*Box::leak(Box::new(k)))
        .map_err(|e| e.to_string())
}

fn keys<T: Check>(items: &[T]) -> Vec<String> {
    items.iter().map(Check::key).collect()
}
