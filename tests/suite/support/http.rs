//! A tiny HTTP/1.1 file server on 127.0.0.1 for the download tests: serves a folder, honours `Range: bytes=N-`,
//! misbehaves on request, and records what it was asked.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// How the server misbehaves for one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// Same length, one byte changed.
    Corrupt,
    /// Announces the full length, sends half of it, then hangs up.
    Truncate,
    /// Answers 200 with the whole file whatever Range asks for.
    IgnoreRange,
}

/// One request as the server saw it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub path: String,
    pub range: Option<String>,
}

#[derive(Default)]
struct State {
    faults: HashMap<String, Fault>,
    requests: Vec<Request>,
}

pub struct Server {
    port: u16,
    state: Arc<Mutex<State>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Server {
    /// Serves the files in `root` (by file name) until dropped.
    pub fn start(root: &Path) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = Arc::new(Mutex::new(State::default()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (root, state, stop) = (root.to_path_buf(), state.clone(), stop.clone());
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    if let Ok(stream) = stream {
                        // A client that hangs up mid-answer is part of what is tested, not a server failure.
                        let _ = serve(stream, &root, &state);
                    }
                }
            })
        };
        Server {
            port,
            state,
            stop,
            thread: Some(thread),
        }
    }

    /// The base URL, with a trailing slash.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }

    pub fn fault(&self, name: &str, fault: Fault) {
        self.state.lock().unwrap().faults.insert(name.to_string(), fault);
    }

    /// Serves `name` properly again.
    pub fn heal(&self, name: &str) {
        self.state.lock().unwrap().faults.remove(name);
    }

    pub fn requests(&self) -> Vec<Request> {
        self.state.lock().unwrap().requests.clone()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // accept() only returns on a connection: make one so the thread sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn serve(stream: TcpStream, root: &Path, state: &Mutex<State>) -> std::io::Result<()> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut line = String::new();
    reader.read_line(&mut line)?;
    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
    let mut range = None;
    loop {
        let mut header = String::new();
        if reader.read_line(&mut header)? == 0 || header.trim().is_empty() {
            break;
        }
        if let Some((name, value)) = header.split_once(':') {
            if name.trim().eq_ignore_ascii_case("range") {
                range = Some(value.trim().to_string());
            }
        }
    }
    let name = path.trim_start_matches('/').to_string();
    let fault = {
        let mut state = state.lock().unwrap();
        state.requests.push(Request {
            path: path.clone(),
            range: range.clone(),
        });
        state.faults.get(&name).copied()
    };
    let mut stream = stream;
    let file: Option<PathBuf> = (!name.is_empty() && !name.contains(['/', '\\'])).then(|| root.join(&name));
    let Some(mut body) = file.and_then(|f| std::fs::read(f).ok()) else {
        return stream.write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
    };
    if fault == Some(Fault::Corrupt) {
        let middle = body.len() / 2;
        body[middle] ^= 0xff;
    }
    let total = body.len();
    let start = match (&range, fault) {
        (Some(r), f) if f != Some(Fault::IgnoreRange) => r
            .strip_prefix("bytes=")
            .and_then(|r| r.strip_suffix('-'))
            .and_then(|n| n.parse::<usize>().ok()),
        _ => None,
    };
    let (status, from) = match start {
        Some(s) if s < total => (
            format!("206 Partial Content\r\nContent-Range: bytes {s}-{}/{total}", total - 1),
            s,
        ),
        Some(_) => {
            return stream.write_all(
                format!(
                    "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Range: bytes */{total}\r\n\
                     Content-Length: 0\r\nConnection: close\r\n\r\n"
                )
                .as_bytes(),
            )
        }
        None => ("200 OK".to_string(), 0),
    };
    let body = &body[from..];
    let sent = if fault == Some(Fault::Truncate) {
        &body[..body.len() / 2]
    } else {
        body
    };
    stream.write_all(
        format!(
            "HTTP/1.1 {status}\r\nContent-Length: {}\r\nContent-Type: application/octet-stream\r\n\
             Connection: close\r\n\r\n",
            body.len()
        )
        .as_bytes(),
    )?;
    stream.write_all(sent)?;
    stream.flush()
}
