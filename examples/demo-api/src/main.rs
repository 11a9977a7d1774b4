//! demo-api: the backend of wasm-rum's demo and end-to-end tests.
//!
//! - Answers `GET/POST/… /api/*` with a small JSON body; `/api/status/<code>` answers that
//!   status, `/api/slow?ms=<n>` waits first.
//! - Allows CORS, including the `traceparent` and `tracestate` request headers, for the page
//!   origins given with `--allow-origin` (repeatable; `*` allows any origin).
//! - Logs every request as one JSON line (`{"method","path","origin","traceparent"}`) on stdout
//!   and, with `--log-file`, appended to that file, so a test or a person can see which
//!   `traceparent` arrived where.
//! - Answers a valid `traceparent` with `Server-Timing: traceparent;desc=00-<trace>-<span>-01`
//!   (exposed to the page), the way backends tie their trace back to the browser.
//!
//! Usage: `demo-api [--listen 127.0.0.1:8081] [--allow-origin http://localhost:5173]… [--log-file api.jsonl]`
//! It prints `demo-api listening on http://IP:PORT` once it accepts connections.

use std::collections::hash_map::RandomState;
use std::fs::OpenOptions;
use std::hash::{BuildHasher, Hasher};
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tiny_http::{Header, Method, Request, Response, Server};

struct Options {
    listen: String,
    allow_origins: Vec<String>,
    log_file: Option<String>,
}

fn parse_args() -> Result<Options, String> {
    let mut o = Options {
        listen: "127.0.0.1:8081".into(),
        allow_origins: Vec::new(),
        log_file: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().ok_or_else(|| format!("{a} needs a value"));
        match a.as_str() {
            "--listen" => o.listen = value()?,
            "--allow-origin" => o.allow_origins.push(value()?),
            "--log-file" => o.log_file = Some(value()?),
            "-h" | "--help" => {
                println!(
                    "usage: demo-api [--listen ADDR] [--allow-origin ORIGIN]... [--log-file PATH]"
                );
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(o)
}

/// A JSON string literal.
fn json_str(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn json_opt(s: Option<&str>) -> String {
    s.map_or_else(|| "null".into(), json_str)
}

fn header<'a>(req: &'a Request, name: &str) -> Option<&'a str> {
    req.headers()
        .iter()
        .find(|h| h.field.as_str().as_str().eq_ignore_ascii_case(name))
        .map(|h| h.value.as_str())
}

fn h(name: &str, value: &str) -> Header {
    // Names and values here are ASCII we control or copied from a request header.
    Header::from_bytes(name.as_bytes(), value.as_bytes()).expect("valid header")
}

/// The trace id of a well-formed version-00 `traceparent`.
fn trace_id(tp: &str) -> Option<&str> {
    let p: Vec<&str> = tp.trim().split('-').collect();
    let hex = |s: &str, n: usize| {
        s.len() == n
            && s.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    };
    (p.len() == 4 && p[0] == "00" && hex(p[1], 32) && hex(p[2], 16) && hex(p[3], 2)).then_some(p[1])
}

fn random_span_id() -> String {
    let mut hasher = RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    format!("{:016x}", hasher.finish() | 1)
}

struct Log {
    file: Option<Mutex<std::fs::File>>,
}

impl Log {
    fn line(&self, line: &str) {
        println!("{line}");
        if let Some(f) = &self.file {
            if let Ok(mut f) = f.lock() {
                let _ = writeln!(f, "{line}");
            }
        }
    }
}

fn handle(req: Request, opts: &Options, log: &Log) {
    let method = req.method().clone();
    let url = req.url().to_string();
    let (path, query) = url.split_once('?').unwrap_or((url.as_str(), ""));
    let origin = header(&req, "origin").map(str::to_string);
    let traceparent = header(&req, "traceparent").map(str::to_string);
    log.line(&format!(
        "{{\"method\":{},\"path\":{},\"origin\":{},\"traceparent\":{}}}",
        json_str(method.as_str()),
        json_str(&url),
        json_opt(origin.as_deref()),
        json_opt(traceparent.as_deref())
    ));

    let mut headers = vec![h("Cache-Control", "no-store")];
    if let Some(o) = &origin {
        if opts.allow_origins.iter().any(|a| a == "*" || a == o) {
            headers.push(h("Access-Control-Allow-Origin", o));
            headers.push(h("Vary", "Origin"));
            headers.push(h("Access-Control-Expose-Headers", "Server-Timing"));
            headers.push(h("Timing-Allow-Origin", o));
        }
    }
    if method == Method::Options {
        headers.push(h(
            "Access-Control-Allow-Methods",
            "GET, POST, PUT, PATCH, DELETE, OPTIONS",
        ));
        headers.push(h(
            "Access-Control-Allow-Headers",
            "traceparent, tracestate, content-type",
        ));
        headers.push(h("Access-Control-Max-Age", "600"));
        let mut resp = Response::empty(204);
        for x in headers {
            resp.add_header(x);
        }
        let _ = req.respond(resp);
        return;
    }
    if let Some(t) = traceparent.as_deref().and_then(trace_id) {
        headers.push(h(
            "Server-Timing",
            &format!("traceparent;desc=00-{t}-{}-01", random_span_id()),
        ));
    }
    let mut status = 200u16;
    if let Some(code) = path.strip_prefix("/api/status/") {
        status = code.parse().unwrap_or(400);
    } else if path == "/api/slow" {
        let ms = query
            .split('&')
            .find_map(|kv| kv.strip_prefix("ms="))
            .and_then(|v| v.parse().ok())
            .unwrap_or(500u64);
        std::thread::sleep(Duration::from_millis(ms.min(30_000)));
    } else if !path.starts_with("/api") && path != "/health" {
        status = 404;
    }
    headers.push(h("Content-Type", "application/json"));
    let body = format!(
        "{{\"ok\":{},\"method\":{},\"path\":{},\"traceparent\":{}}}",
        status < 400,
        json_str(method.as_str()),
        json_str(path),
        json_opt(traceparent.as_deref())
    );
    let mut resp = Response::from_string(body).with_status_code(status);
    for x in headers {
        resp.add_header(x);
    }
    let _ = req.respond(resp);
}

fn main() {
    let opts = match parse_args() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("demo-api: {e}");
            std::process::exit(2);
        }
    };
    let server = match Server::http(&opts.listen) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("demo-api: cannot listen on {}: {e}", opts.listen);
            std::process::exit(1);
        }
    };
    let file = opts.log_file.as_ref().map(|p| {
        OpenOptions::new()
            .create(true)
            .append(true)
            .open(p)
            .unwrap_or_else(|e| {
                eprintln!("demo-api: cannot open {p}: {e}");
                std::process::exit(1);
            })
    });
    let log = Arc::new(Log {
        file: file.map(Mutex::new),
    });
    match server.server_addr().to_ip() {
        Some(addr) => println!("demo-api listening on http://{addr}"),
        None => println!("demo-api listening on {}", opts.listen),
    }
    let opts = Arc::new(opts);
    for req in server.incoming_requests() {
        let (opts, log) = (opts.clone(), log.clone());
        std::thread::spawn(move || handle(req, &opts, &log));
    }
}
