//! Stopping a run partway, whatever the machine's speed or load: for the tests of resuming.
//!
//! Nothing here bounds wall time but a generous guard against a hang: a busy machine slows a run down, it does not
//! make it wrong. How much work a run does after it is told to stop is measured in CPU time (`Stopped::cpu_after`),
//! which a busy machine does not inflate.

use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use super::{names, Workspace};

/// How long a run may take to reach the point where a test stops it: a guard against a run that hangs, far above
/// what any run takes even on a loaded machine.
const HANG: Duration = Duration::from_secs(600);

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

/// How a stopped run ended.
pub struct Stopped {
    pub status: ExitStatus,
    pub stderr: String,
    /// CPU time (all its threads, user and system) the run spent from the signals to its end.
    pub cpu_after: Duration,
}

/// Sends `signal` to `pid`, which must still be there.
pub fn send(pid: libc::pid_t, signal: libc::c_int) {
    // SAFETY: kill has no memory-safety preconditions.
    let sent = unsafe { libc::kill(pid, signal) };
    assert_eq!(sent, 0, "kill({pid}, {signal}): {}", std::io::Error::last_os_error());
}

/// CPU time process `pid` has spent, all its threads, from /proc: a zombie not yet reaped still has it.
fn cpu_time(pid: libc::pid_t) -> Duration {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap();
    // The command name, in parentheses, may hold spaces: the fields are counted after it.
    let fields: Vec<&str> = stat[stat.rfind(')').unwrap() + 2..].split(' ').collect();
    let ticks: u64 = fields[11].parse::<u64>().unwrap() + fields[12].parse::<u64>().unwrap();
    // SAFETY: sysconf has no memory-safety preconditions.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as u64;
    Duration::from_millis(ticks * 1000 / per_second)
}

/// Runs `colorize` in the background and holds it stopped (SIGSTOP) once `ready` says so.
///
/// The run is held from the start and let go for a few milliseconds at a time, asking `ready` while it stands
/// still, so it is caught partway however fast or busy the machine is.
pub fn hold_when(ws: &Workspace, args: &[String], ready: impl Fn() -> bool) -> Held {
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
    let deadline = Instant::now() + HANG;
    while !ready() {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before it could be stopped"
        );
        assert!(
            Instant::now() < deadline,
            "not ready to stop after {HANG:?}: is the run hanging?"
        );
        send(pid, libc::SIGCONT);
        std::thread::sleep(Duration::from_millis(5));
        send(pid, libc::SIGSTOP);
    }
    // The last slice may have taken it to the end.
    assert!(
        child.try_wait().unwrap().is_none(),
        "the run ended before it could be stopped"
    );
    run
}

impl Held {
    /// Sends `signals` to the held run, lets it go on, and waits for it to end.
    pub fn stop(mut self, signals: &[libc::c_int]) -> Stopped {
        let child = &mut self.0;
        let pid = child.id() as libc::pid_t;
        let before = cpu_time(pid);
        // A stopped process acts on a signal (other than SIGKILL) only once it is continued.
        for &signal in signals {
            send(pid, signal);
        }
        send(pid, libc::SIGCONT);
        // Waited for without reaping it, so its CPU time can still be read.
        // SAFETY: a zeroed siginfo_t is a valid out-parameter for waitid.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: `info` outlives the call; WNOWAIT leaves the child to std's wait below.
        let waited = unsafe { libc::waitid(libc::P_PID, pid as libc::id_t, &mut info, libc::WEXITED | libc::WNOWAIT) };
        assert_eq!(waited, 0, "waitid: {}", std::io::Error::last_os_error());
        let cpu_after = cpu_time(pid).saturating_sub(before);
        let status = child.wait().unwrap();
        let mut stderr = String::new();
        std::io::Read::read_to_string(child.stderr.as_mut().unwrap(), &mut stderr).unwrap();
        eprintln!("stopped run, {cpu_after:?} of CPU after the signal: {stderr}");
        Stopped {
            status,
            stderr,
            cpu_after,
        }
    }
}

/// Runs `colorize` in the background and stops it with `signal` once `frames` frames are on disk.
pub fn stop_partway(
    ws: &Workspace,
    args: &[String],
    frames_dir: &str,
    frames: usize,
    signal: libc::c_int,
) -> ExitStatus {
    let dir = ws.path(frames_dir);
    let on_disk = || if dir.exists() { names(&dir).len() } else { 0 };
    stop_when(ws, args, || on_disk() >= frames, signal)
}

/// Runs `colorize` in the background and stops it with `signal` once `ready` says so. Stopped by SIGINT, it must
/// say how to resume: a run that ignored the signal would end its film instead, and say nothing of the kind.
pub fn stop_when(ws: &Workspace, args: &[String], ready: impl Fn() -> bool, signal: libc::c_int) -> ExitStatus {
    let stopped = hold_when(ws, args, ready).stop(&[signal]);
    if signal == libc::SIGINT {
        assert!(
            stopped.stderr.contains("run the same command again to resume"),
            "{}",
            stopped.stderr
        );
    }
    stopped.status
}
