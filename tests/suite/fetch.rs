//! fetch-model against a file server on 127.0.0.1: verified files land, bad ones never do, partials resume.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use colorize::fetch::{fetch_file, Expected, Options, Outcome};
use sha2::{Digest, Sha256};

use crate::support::http::{Fault, Request, Server};
use crate::support::{self, stderr};

const PROTOTXT: &str = "colorization_deploy_v2.prototxt";
const POINTS: &str = "pts_in_hull.npy";
const CAFFEMODEL: &str = "colorization_release_v2.caffemodel";

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

fn options(overwrite: bool) -> Options {
    Options {
        overwrite,
        quiet: true,
        timeout: Duration::from_secs(5),
    }
}

/// 10,000 bytes that differ from place to place, so a misplaced range shows in the digest.
fn blob() -> Vec<u8> {
    (0..10_000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect()
}

/// A folder served as a mirror holding `blob` as "blob", a destination folder, and the expectation.
struct Case {
    served: tempfile::TempDir,
    out: tempfile::TempDir,
    bytes: Vec<u8>,
    sha256: String,
}

impl Case {
    fn new() -> Case {
        let bytes = blob();
        let served = tempfile::tempdir().unwrap();
        std::fs::write(served.path().join("blob"), &bytes).unwrap();
        Case {
            served,
            out: tempfile::tempdir().unwrap(),
            sha256: sha256(&bytes),
            bytes,
        }
    }

    fn expected(&self) -> Expected<'_> {
        Expected {
            size: self.bytes.len() as u64,
            sha256: &self.sha256,
        }
    }

    fn dest(&self) -> PathBuf {
        self.out.path().join("blob")
    }

    fn partial(&self) -> PathBuf {
        self.out.path().join("blob.partial")
    }

    fn fetch(&self, urls: &[String], overwrite: bool) -> anyhow::Result<Outcome> {
        fetch_file(&self.dest(), self.expected(), urls, &options(overwrite))
    }
}

fn request(range: Option<&str>) -> Request {
    Request {
        path: "/blob".into(),
        range: range.map(str::to_string),
    }
}

/// A URL on a port where nothing listens.
fn refused_url() -> String {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    format!("http://127.0.0.1:{port}/blob")
}

/// ../shared/model, holding the published prototxt and points, or None after `support::cannot_run`.
fn shared_model(test: &str) -> Option<PathBuf> {
    let prototxt = support::shared_path(&format!("model/{PROTOTXT}"), test)?;
    support::shared_path(&format!("model/{POINTS}"), test)?;
    Some(prototxt.parent().unwrap().to_path_buf())
}

#[test]
fn fetch_model_lands_verified_files_and_refuses_a_corrupt_caffemodel() {
    let Some(shared) = shared_model("fetch_model_lands_verified_files_and_refuses_a_corrupt_caffemodel") else {
        return;
    };
    let served = tempfile::tempdir().unwrap();
    for name in [PROTOTXT, POINTS] {
        std::fs::copy(shared.join(name), served.path().join(name)).unwrap();
    }
    let corrupt = b"not the weights of anything".repeat(100);
    std::fs::write(served.path().join(CAFFEMODEL), &corrupt).unwrap();
    let server = Server::start(served.path());
    let work = tempfile::tempdir().unwrap();
    let run = || {
        let out = Command::new(env!("CARGO_BIN_EXE_colorize"))
            .args(["fetch-model", "--mirror", &server.url(), "--dir", "model"])
            .current_dir(work.path())
            .output()
            .unwrap();
        let stderr = stderr(&out);
        eprintln!("{stderr}");
        (out.status, String::from_utf8_lossy(&out.stdout).into_owned(), stderr)
    };

    let (status, stdout, stderr) = run();
    assert!(!status.success());
    for name in [PROTOTXT, POINTS] {
        let got = std::fs::read(work.path().join("model").join(name)).unwrap();
        assert!(got == std::fs::read(shared.join(name)).unwrap(), "{name} differs");
        assert!(stdout.contains(&format!("model/{name}")), "{stdout}");
    }
    assert!(!stdout.contains(CAFFEMODEL), "{stdout}");
    assert!(stderr.contains(CAFFEMODEL), "{stderr}");
    assert!(
        stderr.contains("f5af1e602646328c792e1094f9876fe9cd4c09ac46fa886e5708a1abc89137b1"),
        "{stderr}"
    );
    assert!(stderr.contains(&sha256(&corrupt)), "{stderr}");
    assert!(!work.path().join("model").join(CAFFEMODEL).exists());
    assert!(!work.path().join("model").join(format!("{CAFFEMODEL}.partial")).exists());

    // A second run trusts the verified files without asking for them again.
    let asked = server.requests().len();
    let (status, stdout, stderr) = run();
    assert!(!status.success());
    assert!(!stdout.contains(PROTOTXT), "{stdout}");
    assert!(stderr.contains("already there, verified"), "{stderr}");
    let again: Vec<_> = server.requests()[asked..].to_vec();
    assert_eq!(
        again,
        [Request {
            path: format!("/{CAFFEMODEL}"),
            range: None
        }]
    );
}

#[test]
fn fetch_model_refuses_a_mirror_that_is_not_http() {
    let work = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_colorize"))
        .args(["fetch-model", "--mirror", "model-copies/", "--dir", "model"])
        .current_dir(work.path())
        .output()
        .unwrap();
    let stderr = stderr(&out);
    assert!(!out.status.success());
    assert!(stderr.starts_with("error: the mirror model-copies/"), "{stderr}");
    assert!(!work.path().join("model").exists());
}

#[test]
fn a_partial_download_is_completed_with_a_range_request() {
    let case = Case::new();
    let half = case.bytes.len() / 2;
    std::fs::write(case.partial(), &case.bytes[..half]).unwrap();
    let server = Server::start(case.served.path());
    let outcome = case.fetch(&[server.url() + "blob"], false).unwrap();
    assert_eq!(outcome, Outcome::Downloaded);
    assert!(std::fs::read(case.dest()).unwrap() == case.bytes);
    assert!(!case.partial().exists());
    assert_eq!(server.requests(), [request(Some(&format!("bytes={half}-")))]);
}

#[test]
fn a_server_ignoring_range_still_gives_the_right_file() {
    let case = Case::new();
    std::fs::write(case.partial(), &case.bytes[..4000]).unwrap();
    let server = Server::start(case.served.path());
    server.fault("blob", Fault::IgnoreRange);
    let outcome = case.fetch(&[server.url() + "blob"], false).unwrap();
    assert_eq!(outcome, Outcome::Downloaded);
    assert!(std::fs::read(case.dest()).unwrap() == case.bytes);
    assert_eq!(server.requests(), [request(Some("bytes=4000-"))]);
}

#[test]
fn a_broken_transfer_is_kept_and_the_next_run_resumes_it() {
    let case = Case::new();
    let server = Server::start(case.served.path());
    server.fault("blob", Fault::Truncate);
    let e = case.fetch(&[server.url() + "blob"], false).unwrap_err();
    let message = format!("{e:#}");
    assert!(message.contains("the transfer broke off"), "{message}");
    assert!(message.contains("a rerun resumes"), "{message}");
    assert!(!case.dest().exists());
    let kept = std::fs::read(case.partial()).unwrap();
    assert!(!kept.is_empty() && case.bytes.starts_with(&kept));

    server.heal("blob");
    let outcome = case.fetch(&[server.url() + "blob"], false).unwrap();
    assert_eq!(outcome, Outcome::Downloaded);
    assert!(std::fs::read(case.dest()).unwrap() == case.bytes);
    assert_eq!(
        server.requests(),
        [request(None), request(Some(&format!("bytes={}-", kept.len())))]
    );
}

#[test]
fn a_wrong_leftover_partial_is_discarded_and_fetched_from_the_start() {
    let case = Case::new();
    std::fs::write(case.partial(), vec![0u8; 3000]).unwrap();
    let server = Server::start(case.served.path());
    let outcome = case.fetch(&[server.url() + "blob"], false).unwrap();
    assert_eq!(outcome, Outcome::Downloaded);
    assert!(std::fs::read(case.dest()).unwrap() == case.bytes);
    assert_eq!(server.requests(), [request(Some("bytes=3000-")), request(None)]);
}

#[test]
fn a_partial_longer_than_the_served_file_is_dropped() {
    let case = Case::new();
    std::fs::write(case.partial(), &case.bytes[..9000]).unwrap();
    std::fs::write(case.served.path().join("blob"), &case.bytes[..5000]).unwrap();
    let server = Server::start(case.served.path());
    let e = case.fetch(&[server.url() + "blob"], false).unwrap_err();
    let message = format!("{e:#}");
    assert!(message.contains("fewer bytes than the 9000"), "{message}");
    assert!(!case.partial().exists());
    assert!(!case.dest().exists());
    assert_eq!(server.requests(), [request(Some("bytes=9000-"))]);
}

#[test]
fn the_second_mirror_serves_when_the_first_answers_404() {
    let case = Case::new();
    let empty = tempfile::tempdir().unwrap();
    let first = Server::start(empty.path());
    let second = Server::start(case.served.path());
    let outcome = case
        .fetch(&[first.url() + "blob", second.url() + "blob"], false)
        .unwrap();
    assert_eq!(outcome, Outcome::Downloaded);
    assert!(std::fs::read(case.dest()).unwrap() == case.bytes);
    assert_eq!(first.requests(), [request(None)]);
    assert_eq!(second.requests(), [request(None)]);
}

#[test]
fn when_every_source_fails_each_is_named_with_its_reason() {
    let case = Case::new();
    let empty = tempfile::tempdir().unwrap();
    let missing = Server::start(empty.path());
    let corrupt = Server::start(case.served.path());
    corrupt.fault("blob", Fault::Corrupt);
    let refused = refused_url();
    let urls = [missing.url() + "blob", refused.clone(), corrupt.url() + "blob"];
    let e = case.fetch(&urls, false).unwrap_err();
    let message = format!("{e:#}");
    let lines: Vec<&str> = message.lines().collect();
    assert_eq!(lines.len(), 4, "{message}");
    assert!(lines[0].contains(&case.dest().display().to_string()), "{message}");
    assert!(lines[0].contains("--mirror"), "{message}");
    assert!(lines[0].contains("model/README.md"), "{message}");
    assert!(lines[1].contains(&urls[0]) && lines[1].contains("404"), "{message}");
    assert!(lines[2].contains(&refused), "{message}");
    let mut bad = case.bytes.clone();
    let middle = bad.len() / 2;
    bad[middle] ^= 0xff;
    assert!(lines[3].contains(&urls[2]), "{message}");
    assert!(lines[3].contains(&sha256(&bad)), "{message}");
    assert!(lines[3].contains(&case.sha256), "{message}");
    assert!(!case.dest().exists());
    assert!(!case.partial().exists());
}

#[test]
fn a_verified_file_in_place_is_skipped_without_a_request() {
    let case = Case::new();
    std::fs::write(case.dest(), &case.bytes).unwrap();
    let server = Server::start(case.served.path());
    let outcome = case.fetch(&[server.url() + "blob"], false).unwrap();
    assert_eq!(outcome, Outcome::AlreadyThere);
    assert!(server.requests().is_empty());
}

#[test]
fn a_different_file_in_place_is_replaced_only_with_overwrite() {
    let case = Case::new();
    std::fs::write(case.dest(), b"someone's own weights").unwrap();
    let server = Server::start(case.served.path());
    let e = case.fetch(&[server.url() + "blob"], false).unwrap_err();
    let message = format!("{e:#}");
    assert!(message.contains("--overwrite"), "{message}");
    assert!(message.contains(&sha256(b"someone's own weights")), "{message}");
    assert_eq!(std::fs::read(case.dest()).unwrap(), b"someone's own weights");
    assert!(server.requests().is_empty());

    let outcome = case.fetch(&[server.url() + "blob"], true).unwrap();
    assert_eq!(outcome, Outcome::Downloaded);
    assert!(std::fs::read(case.dest()).unwrap() == case.bytes);
}
