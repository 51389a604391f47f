//! Unit tests' way to the real media and published model kept beside the checkout in ../shared: on CI a test
//! that cannot find them fails, elsewhere it is a skip said on stderr, as the integration tests' support does.

use std::path::{Path, PathBuf};

/// `rel` under ../shared, or None after saying why `test` cannot run.
pub fn shared(rel: &str, test: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared").join(rel);
    if path.exists() {
        return Some(path);
    }
    let on_ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty());
    assert!(!on_ci, "{test} cannot run on CI: {} is absent", path.display());
    eprintln!(
        "SKIPPED {test}: {} is absent (it lives in ../shared beside the checkout)",
        path.display()
    );
    None
}
