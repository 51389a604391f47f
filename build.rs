//! Bakes the location of the OpenCV built by `scripts/build-opencv` into every
//! binary, test and example as a RUNPATH, so they run without LD_LIBRARY_PATH.
//!
//! The opencv crate links against whichever OpenCV pkg-config reports, and
//! `.cargo/config.toml` points pkg-config at `build/opencv` first. But the
//! crate only emits `-L`, and the loader never searches a `-L` dir, so without
//! this the binaries would fail to start (or silently pick up Debian's older
//! OpenCV). OpenCV's own libraries carry `$ORIGIN` RUNPATHs for OpenVINO, which
//! sits in the same folder, so one entry here is enough.

use std::path::Path;

fn main() {
    let link = Path::new("build/opencv");
    // `.complete` is written last by the script; watching it (through the
    // symlink) re-runs this when the link is re-pointed at a newer build. A
    // directory would be scanned recursively on every build, and a missing path
    // would make cargo re-run this and rebuild the crate every time, so when
    // there is no local build only this file is watched; the script cleans the
    // build-script output when it creates or moves the link.
    let marker = link.join(".complete");
    if marker.exists() {
        println!("cargo:rerun-if-changed={}", marker.display());
        // Canonical: the RUNPATH then names the versioned cache folder, not
        // the checkout, so binaries keep working when copied or when the
        // checkout's link later moves to a new build.
        let lib = link.join("lib").canonicalize().expect("build/opencv/lib is readable");
        println!("cargo:rustc-link-arg=-Wl,-rpath,{}", lib.display());
    } else {
        println!("cargo:rerun-if-changed=build.rs");
    }
}
