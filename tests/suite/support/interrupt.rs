//! Stopping a run partway, whatever the machine's speed: for the tests of resuming.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::{names, Workspace};

/// A run that is killed and reaped if the test fails while holding it stopped, so that no stopped process
/// outlives the test.
pub struct Held(std::process::Child);

impl Drop for Held {
    fn drop(&mut self) {
        // Once the run has been waited for, std sends nothing: its pid may already belong to another process.
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Sends `signal` to `pid`, which must still be there.
pub fn send(pid: libc::pid_t, signal: libc::c_int) {
    // SAFETY: kill has no memory-safety preconditions.
    let sent = unsafe { libc::kill(pid, signal) };
    assert_eq!(sent, 0, "kill({pid}, {signal}): {}", std::io::Error::last_os_error());
}

/// Runs `colorize` in the background and stops it with `signal` once `frames` frames are on disk.
pub fn stop_partway(
    ws: &Workspace,
    args: &[String],
    frames_dir: &str,
    frames: usize,
    signal: libc::c_int,
) -> std::process::ExitStatus {
    let dir = ws.path(frames_dir);
    let on_disk = || if dir.exists() { names(&dir).len() } else { 0 };
    stop_when(ws, args, || on_disk() >= frames, signal)
}

/// Runs `colorize` in the background and stops it with `signal` once `ready` says so.
///
/// The run is held with SIGSTOP and let go for a few milliseconds at a time, asking `ready` while it stands
/// still, so it is caught partway however fast the machine is: no slowed-down run is needed.
pub fn stop_when(
    ws: &Workspace,
    args: &[String],
    ready: impl Fn() -> bool,
    signal: libc::c_int,
) -> std::process::ExitStatus {
    let mut run = Held(
        Command::new(env!("CARGO_BIN_EXE_colorize"))
            .args(args)
            .current_dir(ws.dir.path())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let child = &mut run.0;
    let pid = child.id() as libc::pid_t;
    // It has only just started (spawn returns once it has exec'd): still loading, far from its first frame.
    send(pid, libc::SIGSTOP);
    let deadline = Instant::now() + Duration::from_secs(60);
    while !ready() {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before it could be stopped"
        );
        assert!(Instant::now() < deadline, "not ready to stop after 60 s");
        send(pid, libc::SIGCONT);
        std::thread::sleep(Duration::from_millis(5));
        send(pid, libc::SIGSTOP);
    }
    // The last slice may have taken it to the end.
    assert!(
        child.try_wait().unwrap().is_none(),
        "the run ended before it could be stopped"
    );
    let stopped = Instant::now();
    // A stopped process acts on a signal (other than SIGKILL) only once it is continued.
    send(pid, signal);
    send(pid, libc::SIGCONT);
    let status = child.wait().unwrap();
    assert!(
        stopped.elapsed() < Duration::from_secs(3),
        "took {:?} to stop",
        stopped.elapsed()
    );
    let mut stderr = String::new();
    std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
    eprintln!("stopped run: {stderr}");
    if signal == libc::SIGINT {
        assert!(stderr.contains("run the same command again to resume"), "{stderr}");
    }
    status
}
