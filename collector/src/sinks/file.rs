//! The log and dump files (or stdout): a thread of their own writes the lines, in batches, so a
//! slow disk or a stdout nobody reads never blocks an async worker.
//!
//! The collector appends and never rotates these files: rotate them with the tools of the host
//! (logrotate's `copytruncate`, or a pipe to stdout under systemd or Docker).

use super::{DropReason, Inbox};
use std::fs::OpenOptions;
use std::io::Write;
use tokio::sync::oneshot;

/// Lines written with one `write` call at most.
const BATCH: usize = 1024;
/// How long the writer waits after a line for more before it writes.
const LINGER: std::time::Duration = std::time::Duration::from_millis(1);

pub(super) type Output = Box<dyn Write + Send>;

/// Opens `path` for appending; `None` or `-` is stdout.
pub(super) fn open(path: Option<&str>) -> std::io::Result<Output> {
    Ok(match path {
        None | Some("-") => Box::new(std::io::stdout()),
        Some(p) => Box::new(OpenOptions::new().create(true).append(true).open(p)?),
    })
}

/// Starts the writer thread; the receiver resolves when it has written its last line.
pub(super) fn spawn(
    mut out: Output,
    mut inbox: Inbox<String>,
) -> std::io::Result<oneshot::Receiver<()>> {
    let runtime = tokio::runtime::Handle::try_current().map_err(std::io::Error::other)?;
    let (done, finished) = oneshot::channel();
    std::thread::Builder::new()
        .name(format!("{}-sink", inbox.sink))
        .spawn(move || {
            let mut buf = Vec::with_capacity(64 * 1024);
            let mut failing = false;
            loop {
                buf.clear();
                let mut count = 0u64;
                // Until shutdown, wait for a line; after it, write what is queued and stop.
                let first = runtime.block_on(inbox.next());
                let stopping = first.is_none();
                if !stopping {
                    // Let the lines of the next few requests join this write: one wake-up and
                    // one write per LINGER at most, instead of one per request.
                    std::thread::sleep(LINGER);
                }
                for (line, _) in first
                    .into_iter()
                    .chain(std::iter::from_fn(|| inbox.ready()))
                {
                    buf.extend_from_slice(line.as_bytes());
                    buf.push(b'\n');
                    count += 1;
                    if count as usize >= BATCH {
                        break;
                    }
                }
                if count > 0 {
                    // One write per batch, so a reader sees whole lines as far as the OS allows.
                    let written = out.write_all(&buf).and_then(|()| out.flush());
                    match &written {
                        Ok(()) => failing = false,
                        Err(e) if !failing => {
                            failing = true;
                            tracing::warn!("{} sink: write failed: {e}", inbox.sink);
                        }
                        Err(_) => {}
                    }
                    inbox.finished(count, written.err().map(|_| DropReason::Refused));
                }
                if stopping && count == 0 {
                    break;
                }
            }
            let _ = out.flush();
            let _ = done.send(());
        })?;
    Ok(finished)
}
