//! The model's files: official names, sizes, digests and where they are published. The one manifest that
//! loading (model) and downloading (fetch) both read.

use std::fmt;
use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};

/// What a file must be: its size and sha256 (lowercase hex).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Expected<'a> {
    pub size: u64,
    pub sha256: &'a str,
}

impl fmt::Display for Expected<'_> {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{} bytes, sha256 {}", self.size, self.sha256)
    }
}

/// One file of the model: its official name, what it must be, and where it is published, best first.
#[derive(Debug)]
pub struct ModelFile {
    pub name: &'static str,
    pub expected: Expected<'static>,
    pub published: &'static [&'static str],
}

/// Release v2 as model/README.md lists it. The two small files come first so they land even when the weights
/// cannot be had.
pub const FILES: [ModelFile; 3] = [
    ModelFile {
        name: "colorization_deploy_v2.prototxt",
        expected: Expected {
            size: 9_945,
            sha256: "d16418cef8df4ccd703a55ae0ef3960861d5010418f77c90d0a47689998a7169",
        },
        published: &["https://raw.githubusercontent.com/richzhang/colorization/caffe/colorization/models/colorization_deploy_v2.prototxt"],
    },
    ModelFile {
        name: "pts_in_hull.npy",
        expected: Expected {
            size: 5_088,
            sha256: "b5dec01315c34f43f1c8c089e84c45ae35d1838d8e77ed0e7ca930f79ffa450e",
        },
        published: &["https://raw.githubusercontent.com/richzhang/colorization/caffe/colorization/resources/pts_in_hull.npy"],
    },
    ModelFile {
        name: "colorization_release_v2.caffemodel",
        expected: Expected {
            size: 128_946_764,
            sha256: "f5af1e602646328c792e1094f9876fe9cd4c09ac46fa886e5708a1abc89137b1",
        },
        published: &[
            "http://eecs.berkeley.edu/~rich.zhang/projects/2016_colorization/files/demo_v2/colorization_release_v2.caffemodel",
            "https://www.dropbox.com/s/dx0qvhhp5hbcx7z/colorization_release_v2.caffemodel?dl=1",
        ],
    },
];

/// A checkpoint of DDColor's published weights, as DDColor's model zoo links it: PyTorch's, which colorize cannot
/// run. DDColor's own exporter turns it into the ONNX file colorize reads (model/README.md).
#[derive(Debug)]
pub struct Checkpoint {
    pub name: &'static str,
    pub url: &'static str,
    /// The `--model_size` DDColor's exporter builds it as.
    pub model_size: &'static str,
}

/// DDColor-T, trained on ImageNet: the lightest of them, the one for films on a CPU. No digest of it was found
/// published anywhere colorize could cite, so none is claimed here.
pub const DDCOLOR_TINY: Checkpoint = Checkpoint {
    name: "ddcolor_paper_tiny.pth",
    url: "https://huggingface.co/piddnad/DDColor-models/resolve/main/ddcolor_paper_tiny.pth",
    model_size: "tiny",
};

/// DDColor's source, and the commit whose `scripts/export_onnx.py` the steps edit and run.
pub const DDCOLOR_SOURCE: &str = "https://github.com/piddnad/DDColor";
pub const DDCOLOR_COMMIT: &str = "2adb63f2656ac41cbdf7b894cddd94121a3faf13";

impl ModelFile {
    /// The file of the manifest with this official name.
    pub fn named(name: &str) -> Option<&'static ModelFile> {
        FILES.iter().find(|f| f.name == name)
    }
}

pub const PROTOTXT: &str = FILES[0].name;
pub const POINTS: &str = FILES[1].name;
pub const CAFFEMODEL: &str = FILES[2].name;

/// Lowercase hex, as digests are published.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Size and sha256 of a file on disk.
pub struct Found {
    size: u64,
    sha256: String,
}

impl Found {
    pub fn of(path: &Path) -> Result<Found> {
        let read = || -> io::Result<Found> {
            let mut file = File::open(path)?;
            let mut hasher = Sha256::new();
            let mut buf = vec![0; 1 << 20];
            let mut size = 0;
            loop {
                let n = match file.read(&mut buf) {
                    Ok(0) => break,
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                };
                hasher.update(&buf[..n]);
                size += n as u64;
            }
            Ok(Found {
                size,
                sha256: hex(&hasher.finalize()),
            })
        };
        read().with_context(|| format!("reading {} to check its digest failed", path.display()))
    }

    pub fn is(&self, expected: Expected) -> bool {
        self.size == expected.size && self.sha256.eq_ignore_ascii_case(expected.sha256)
    }
}

impl fmt::Display for Found {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "{} bytes, sha256 {}", self.size, self.sha256)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn found_hashes_the_file_and_matches_only_size_and_digest_together() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("abc");
        std::fs::write(&path, b"abc").unwrap();
        let found = Found::of(&path).unwrap();
        let sha = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert_eq!(found.sha256, sha);
        assert!(found.is(Expected { size: 3, sha256: sha }));
        assert!(!found.is(Expected { size: 4, sha256: sha }));
        assert!(!found.is(Expected {
            size: 3,
            sha256: &sha.replace('b', "c")
        }));
    }
}
