//! Ordered parallel processing with a hard bound on the items in flight. Knows nothing about OpenCV.
//!
//! A reader thread pulls items from the source, one thread per worker state processes them, and the calling
//! thread receives the results in source order. A ticket is taken before an item is read and returned once its
//! result has been consumed, so items that finish out of order cannot pile up in the reorder buffer.

use std::collections::BTreeMap;
use std::panic::{catch_unwind, AssertUnwindSafe};

use anyhow::{anyhow, Result};
use crossbeam_channel::{bounded, unbounded, Receiver, Sender};

/// Runs `work` over `source` with one thread per element of `workers` (lent, so they can serve the next run too)
/// and hands every result to `sink` in
/// order. At most `in_flight` items exist at once. The first failure, wherever it happens, stops everything
/// and is returned; items read before it are still delivered to `sink` unless `sink` itself failed.
pub fn run<I, O, W>(
    source: impl Iterator<Item = Result<I>> + Send,
    workers: &mut [W],
    work: impl Fn(&mut W, I) -> Result<O> + Sync,
    in_flight: usize,
    mut sink: impl FnMut(O) -> Result<()>,
) -> Result<()>
where
    I: Send,
    O: Send,
    W: Send,
{
    let in_flight = in_flight.max(1);
    let (ticket_tx, ticket_rx) = bounded::<()>(in_flight);
    for _ in 0..in_flight {
        ticket_tx.send(()).expect("the ticket channel holds in_flight tickets");
    }
    let (job_tx, job_rx) = bounded::<(usize, I)>(in_flight);
    let (done_tx, done_rx) = unbounded::<(usize, Result<O>)>();
    let work = &work;

    std::thread::scope(|scope| {
        let reader = scope.spawn(move || -> Result<()> {
            let mut source = source.enumerate();
            // No ticket means the consumer has stopped: leave quietly, its error is the one to report.
            while ticket_rx.recv().is_ok() {
                let Some((index, item)) = source.next() else {
                    break;
                };
                if job_tx.send((index, item?)).is_err() {
                    break;
                }
            }
            Ok(())
        });
        for state in workers.iter_mut() {
            let (job_rx, done_tx) = (job_rx.clone(), done_tx.clone());
            scope.spawn(move || {
                for (index, item) in job_rx {
                    let result = unpanic(|| work(state, item));
                    if done_tx.send((index, result)).is_err() {
                        return;
                    }
                }
            });
        }
        drop((job_rx, done_tx));

        // The ticket sender lives only here: once this returns, the reader can no longer block.
        let consumed = deliver_in_order(&done_rx, &ticket_tx, &mut sink);
        drop(ticket_tx);
        drop(done_rx);
        let read = reader
            .join()
            .unwrap_or_else(|_| Err(anyhow!("the reader thread panicked")));
        consumed.and(read)
    })
}

/// Hands results to `sink` in index order as they come, returning a ticket for each one consumed.
fn deliver_in_order<O>(
    done: &Receiver<(usize, Result<O>)>,
    tickets: &Sender<()>,
    sink: &mut impl FnMut(O) -> Result<()>,
) -> Result<()> {
    let mut pending = BTreeMap::new();
    let mut next = 0;
    for (index, result) in done {
        pending.insert(index, result);
        while let Some(result) = pending.remove(&next) {
            sink(result?)?;
            next += 1;
            let _ = tickets.send(());
        }
    }
    Ok(())
}

/// Groups `source`'s items into runs of up to `size`, for workers that take several at once. An error ends the
/// group it interrupts, which is still handed out first, and then comes by itself.
pub fn batched<I>(source: impl Iterator<Item = Result<I>>, size: usize) -> impl Iterator<Item = Result<Vec<I>>> {
    let mut source = source.fuse();
    let mut failed = None;
    std::iter::from_fn(move || {
        if let Some(e) = failed.take() {
            return Some(Err(e));
        }
        let mut batch = Vec::with_capacity(size);
        while batch.len() < size.max(1) {
            match source.next() {
                Some(Ok(item)) => batch.push(item),
                Some(Err(e)) if batch.is_empty() => return Some(Err(e)),
                Some(Err(e)) => {
                    failed = Some(e);
                    break;
                }
                None => break,
            }
        }
        (!batch.is_empty()).then_some(Ok(batch))
    })
}

/// Runs `f`, turning a panic into an error that carries the panic's message.
pub fn unpanic<T>(f: impl FnOnce() -> Result<T>) -> Result<T> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "no message".into());
        Err(anyhow!("a worker panicked: {message}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    #[test]
    fn results_arrive_in_source_order() {
        let source = (0..200u64).map(Ok);
        let mut seen = Vec::new();
        // Later items finish first: without reordering the output would come back scrambled.
        let work = |_: &mut (), x: u64| {
            std::thread::sleep(Duration::from_micros((200 - x) * 20));
            Ok(x * 2)
        };
        run(source, &mut [(); 4], work, 8, |x| {
            seen.push(x);
            Ok(())
        })
        .unwrap();
        assert_eq!(seen, (0..200).map(|x| x * 2).collect::<Vec<_>>());
    }

    #[test]
    fn items_in_flight_never_exceed_the_bound() {
        let live = AtomicUsize::new(0);
        let peak = AtomicUsize::new(0);
        let source = (0..100).map(|i| {
            let now = live.fetch_add(1, Ordering::SeqCst) + 1;
            peak.fetch_max(now, Ordering::SeqCst);
            Ok(i)
        });
        let work = |_: &mut (), x: i32| {
            // The first item is slow, so every later one finishes before it and waits in the reorder buffer.
            std::thread::sleep(Duration::from_millis(if x == 0 { 50 } else { 1 }));
            Ok(x)
        };
        run(source, &mut [(); 3], work, 5, |_| {
            live.fetch_sub(1, Ordering::SeqCst);
            Ok(())
        })
        .unwrap();
        assert!(peak.load(Ordering::SeqCst) <= 5, "peak {}", peak.load(Ordering::SeqCst));
    }

    #[test]
    fn worker_error_stops_the_run_and_is_reported() {
        let read = AtomicUsize::new(0);
        let source = (0..).map(|i| {
            read.fetch_add(1, Ordering::SeqCst);
            Ok(i)
        });
        let work = |_: &mut (), x: u32| {
            if x == 10 {
                Err(anyhow!("frame 10 is broken"))
            } else {
                Ok(x)
            }
        };
        let mut delivered = Vec::new();
        let err = run(source, &mut [(); 2], work, 4, |x| {
            delivered.push(x);
            Ok(())
        })
        .unwrap_err();
        assert_eq!(err.to_string(), "frame 10 is broken");
        assert_eq!(delivered, (0..10).collect::<Vec<_>>());
        assert!(read.load(Ordering::SeqCst) < 20, "the endless source was not stopped");
    }

    #[test]
    fn sink_error_wins_over_the_stopped_reader_and_panics_become_errors() {
        let err = run(
            (0..).map(Ok),
            &mut [(); 2],
            |_: &mut (), x: u32| Ok(x),
            3,
            |x| {
                if x == 5 {
                    Err(anyhow!("disk full"))
                } else {
                    Ok(())
                }
            },
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "disk full");

        let work = |_: &mut (), x: u32| if x == 3 { panic!("boom at {x}") } else { Ok(x) };
        let err = run((0..10).map(Ok), &mut [(); 2], work, 3, |_| Ok(())).unwrap_err();
        assert_eq!(err.to_string(), "a worker panicked: boom at 3");
    }

    #[test]
    fn batches_keep_order_and_an_error_follows_the_items_before_it() {
        let batches: Vec<_> = batched((0..7).map(Ok), 3).map(Result::unwrap).collect();
        assert_eq!(batches, [vec![0, 1, 2], vec![3, 4, 5], vec![6]]);
        let source = (0..7).map(|i| if i == 4 { Err(anyhow!("frame 4")) } else { Ok(i) });
        let got: Vec<_> = batched(source, 3).map(|b| b.map_err(|e| e.to_string())).collect();
        assert_eq!(
            got,
            [Ok(vec![0, 1, 2]), Ok(vec![3]), Err("frame 4".into()), Ok(vec![5, 6])]
        );
    }

    #[test]
    fn source_error_is_reported_after_earlier_items() {
        let source = (0..10).map(|i| {
            if i == 6 {
                Err(anyhow!("cannot decode frame 6"))
            } else {
                Ok(i)
            }
        });
        let mut delivered = 0;
        let err = run(
            source,
            &mut [(); 2],
            |_: &mut (), x: i32| Ok(x),
            4,
            |_| {
                delivered += 1;
                Ok(())
            },
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "cannot decode frame 6");
        assert_eq!(delivered, 6);
    }
}
