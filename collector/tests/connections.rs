//! Slow and idle clients (slowloris) against the real binary: they are cut off by the header and
//! body timeouts, the open connections are capped, and a normal POST is still answered.

mod support;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::{client, full_payload, Collector};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[derive(Clone, Copy)]
enum Slow {
    /// Connects and sends nothing.
    Idle,
    /// Sends a request line and then one header line every 500 ms, never the blank line.
    Headers,
    /// Sends whole headers announcing 100 000 bytes, then one byte of body every 500 ms.
    Body,
}

/// Opens a slow socket and keeps it slow for at most 20 s; counts it in `closed` when the
/// collector closes it (EOF or an error on read or write).
async fn slow_socket(
    addr: SocketAddr,
    kind: Slow,
    opened: Arc<AtomicUsize>,
    closed: Arc<AtomicUsize>,
) {
    let Ok(mut s) = TcpStream::connect(addr).await else {
        return;
    };
    let start: &[u8] = match kind {
        Slow::Idle => b"",
        Slow::Headers => b"POST /collect HTTP/1.1\r\nHost: x\r\n",
        Slow::Body => b"POST /collect HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\nContent-Length: 100000\r\n\r\n{",
    };
    if s.write_all(start).await.is_err() {
        closed.fetch_add(1, Ordering::Relaxed);
        return;
    }
    opened.fetch_add(1, Ordering::Relaxed);
    let mut tick = tokio::time::interval(Duration::from_millis(500));
    let give_up = tokio::time::sleep(Duration::from_secs(20));
    tokio::pin!(give_up);
    let mut buf = [0u8; 1024];
    loop {
        tokio::select! {
            r = s.read(&mut buf) => match r {
                Ok(0) | Err(_) => break,
                Ok(_) => continue, // a 408, then the close
            },
            _ = tick.tick() => {
                let more: &[u8] = match kind {
                    Slow::Idle => b"",
                    Slow::Headers => b"X-Slow: 1\r\n",
                    Slow::Body => b" ",
                };
                if !more.is_empty() && s.write_all(more).await.is_err() {
                    break;
                }
            }
            _ = &mut give_up => return,
        }
    }
    closed.fetch_add(1, Ordering::Relaxed);
}

/// Starts `counts` slow sockets of each kind, in waves of 50 that each wait until the collector
/// has accepted them (its open files grew by the wave), so that a burst never overflows the
/// listen backlog: a socket whose handshake the kernel dropped there looks open to the client
/// while the collector never saw it, and its timeout would start only once a retried SYN-ACK
/// got it accepted, up to 15 s later. Returns (opened, closed) counters.
async fn open_slow(
    c: &Collector,
    counts: &[(Slow, usize)],
) -> (Arc<AtomicUsize>, Arc<AtomicUsize>) {
    let addr: SocketAddr = c.host().parse().unwrap();
    let opened = Arc::new(AtomicUsize::new(0));
    let closed = Arc::new(AtomicUsize::new(0));
    let base = c.fds();
    let kinds: Vec<Slow> = counts
        .iter()
        .flat_map(|&(kind, n)| std::iter::repeat_n(kind, n))
        .collect();
    let mut started = 0;
    for wave in kinds.chunks(50) {
        for &kind in wave {
            tokio::spawn(slow_socket(addr, kind, opened.clone(), closed.clone()));
        }
        started += wave.len();
        // Accepted by the collector: its files are the base plus the sockets it holds, and a
        // socket it closed is one the client counts in `closed` a moment later.
        wait_until(
            Duration::from_secs(30),
            "the collector to accept a wave",
            || {
                let done = opened.load(Ordering::Relaxed) + closed.load(Ordering::Relaxed);
                done >= started && c.fds() + closed.load(Ordering::Relaxed) >= base + started
            },
        )
        .await;
    }
    (opened, closed)
}

async fn wait_until(limit: Duration, what: &str, done: impl Fn() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A normal POST: its status and how long it took.
async fn normal_post(c: &Collector, timeout: Duration) -> (Option<u16>, Duration) {
    let started = Instant::now();
    let r = client()
        .post(c.url("/collect"))
        .timeout(timeout)
        .body(full_payload("shop").to_string())
        .send()
        .await;
    let took = started.elapsed();
    match r {
        Ok(r) => (Some(r.status().as_u16()), took),
        Err(e) => {
            eprintln!("the normal POST failed after {took:?}: {e:?}");
            (None, took)
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_post_is_answered_while_700_slow_sockets_are_open_and_they_are_closed_by_the_timeouts() {
    // 700 sockets here, 700 in the collector: more than a 1 024 default leaves room for.
    let _ = rlimit::increase_nofile_limit(4096);
    let c = Collector::start(&["--header-timeout", "2", "--body-timeout", "2"]);
    let (_opened, closed) = open_slow(
        &c,
        &[(Slow::Idle, 300), (Slow::Headers, 300), (Slow::Body, 100)],
    )
    .await;
    // The last socket was accepted now: from here every one must be cut off within its timeout.
    let started = Instant::now();
    let open_now = 700 - closed.load(Ordering::Relaxed);
    let (status, took) = normal_post(&c, Duration::from_secs(5)).await;
    eprintln!(
        "slowloris: a POST with {open_now} slow sockets open: {status:?} in {took:?}; collector fds {}",
        c.fds()
    );
    assert_eq!(status, Some(202));
    assert!(open_now >= 600, "the slow sockets were open: {open_now}");

    // Idle, slow-header and slow-body sockets are all cut off once their timeout (2 s) is up.
    wait_until(
        Duration::from_secs(15),
        "the collector to close the slow sockets",
        || closed.load(Ordering::Relaxed) >= 700,
    )
    .await;
    let all_closed = started.elapsed();
    eprintln!(
        "slowloris: all 700 slow sockets closed by the collector {all_closed:?} after the last opened"
    );
    assert!(
        all_closed < Duration::from_secs(6),
        "closed within the 2 s timeouts (and a margin): {all_closed:?}"
    );
    let (status, _) = normal_post(&c, Duration::from_secs(5)).await;
    assert_eq!(status, Some(202));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn more_slow_sockets_than_file_descriptors_do_not_lock_out_a_normal_post() {
    // A collector allowed 256 open files, and 300 slow sockets: past the connection cap (which
    // the collector lowers to fit the limit) they wait in the backlog instead of exhausting
    // the descriptors, and the timeouts free the slots.
    let c = Collector::start_with_fd_limit(256, &["--header-timeout", "2", "--body-timeout", "2"]);
    let (opened, closed) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
    let addr: SocketAddr = c.host().parse().unwrap();
    for (kind, n) in [(Slow::Headers, 250), (Slow::Idle, 50)] {
        for _ in 0..n {
            tokio::spawn(slow_socket(addr, kind, opened.clone(), closed.clone()));
        }
    }
    // Past the cap the sockets wait in the backlog, so only the client side can tell they opened.
    wait_until(Duration::from_secs(10), "300 slow sockets", || {
        opened.load(Ordering::Relaxed) + closed.load(Ordering::Relaxed) >= 300
    })
    .await;
    let (status, took) = normal_post(&c, Duration::from_secs(15)).await;
    eprintln!(
        "slowloris: 300 slow sockets, 256 fds: a POST answered {status:?} in {took:?}; collector fds {}",
        c.fds()
    );
    assert_eq!(status, Some(202), "answered within 15 s");
    assert!(c.fds() <= 256);
}

#[tokio::test]
async fn metrics_listen_serves_metrics_on_its_own_address_only() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let metrics_addr = format!("127.0.0.1:{port}");
    let c = Collector::start(&["--metrics-listen", &metrics_addr]);
    let (status, _) = normal_post(&c, Duration::from_secs(5)).await;
    assert_eq!(status, Some(202));
    let public = client().get(c.url("/metrics")).send().await.unwrap();
    assert_eq!(public.status(), 404, "no /metrics on the public address");
    let private = client()
        .get(format!("http://{metrics_addr}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(private.status(), 200);
    let text = private.text().await.unwrap();
    assert!(
        text.contains("rum_payloads_total{result=\"accepted\",reason=\"\"} 1"),
        "{text}"
    );
}
