//! Source maps: the frames of an exception thrown from a minified bundle rewritten to the
//! developer's own file, line, column and function name, with Grafana Alloy's two models:
//! maps downloaded from the site (only from the origins the operator lists), or read from a
//! local directory keyed by URL prefix and release.
//!
//! Nothing here can fail a request: a frame whose map is missing, broken, too large or slow
//! stays as it was, and every lookup is counted in `rum_sourcemap_lookups_total{result}`.

use crate::payload::{Frame, Payload};
use moka::future::Cache;
use moka::policy::EvictionPolicy;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::registry::Registry;
use sourcemap::{DecodedMap, SourceView};
use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};
use url::Url;

/// How long a failed lookup (missing map, timeout, refused redirect, broken map) is remembered
/// before the same script or file is tried again.
pub const FAILURE_TTL: Duration = Duration::from_secs(60);
/// How long a loaded map is kept at most (an unhashed `app.js` redeployed is re-fetched within it).
pub const SUCCESS_TTL: Duration = Duration::from_secs(3600);
/// Distinct scripts one payload may look up; frames of further scripts stay as they were.
pub const MAX_SCRIPTS_PER_PAYLOAD: usize = 16;
/// Redirects followed at most (each within the allowed origins).
const MAX_REDIRECTS: usize = 5;
/// Characters of original source scanned back from a position for its enclosing function.
const MAX_SCAN_CHARS: usize = 100_000;

/// The `--sourcemaps-*` flags.
#[derive(Debug, Clone, clap::Args)]
pub struct Flags {
    /// Download the scripts of frames (and their maps) from the `--sourcemaps-origin` origins.
    #[arg(long = "sourcemaps-download")]
    pub download: bool,
    /// An origin (scheme, host, port) whose scripts and maps may be downloaded (repeatable);
    /// `*` allows any, which lets any sender make the collector fetch any URL.
    #[arg(long = "sourcemaps-origin", value_parser = parse_origin)]
    pub origins: Vec<String>,
    /// `PREFIX=DIR` (repeatable): a frame whose URL starts with PREFIX is mapped with
    /// `DIR/<rest of the path>.map`; DIR may hold `{release}` (or `{{ .Release }}`).
    #[arg(long = "sourcemaps-dir", value_parser = DirRule::parse)]
    pub dirs: Vec<DirRule>,
    /// Seconds one download (a script or a map) may take.
    #[arg(long = "sourcemaps-timeout", default_value = "1", value_parser = crate::seconds)]
    pub timeout: Duration,
    /// Largest script or map read, downloaded or on disk.
    #[arg(long = "sourcemaps-max-bytes", default_value_t = 32 * 1024 * 1024)]
    pub max_bytes: usize,
    /// Bytes of scripts and parsed maps kept in memory (least recently used evicted first).
    #[arg(long = "sourcemaps-cache-bytes", default_value_t = 128 * 1024 * 1024)]
    pub cache_bytes: u64,
}

impl Default for Flags {
    fn default() -> Flags {
        Flags {
            download: false,
            origins: Vec::new(),
            dirs: Vec::new(),
            timeout: Duration::from_secs(1),
            max_bytes: 32 * 1024 * 1024,
            cache_bytes: 128 * 1024 * 1024,
        }
    }
}

/// `--sourcemaps-origin`: `*`, or an http(s) origin, kept as its serialisation
/// (`https://shop.example.com:443` is `https://shop.example.com`).
fn parse_origin(s: &str) -> Result<String, String> {
    if s == "*" {
        return Ok(s.into());
    }
    let url = Url::parse(s).map_err(|e| format!("{s:?} is not an origin: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(format!("{s:?}: only http and https origins"));
    }
    if url.path() != "/" || url.query().is_some() || !url.username().is_empty() {
        return Err(format!(
            "{s:?}: an origin is scheme, host and port only (no path)"
        ));
    }
    Ok(url.origin().ascii_serialization())
}

/// One `--sourcemaps-dir PREFIX=DIR`.
#[derive(Debug, Clone)]
pub struct DirRule {
    pub prefix: String,
    pub dir: String,
}

impl DirRule {
    pub fn parse(s: &str) -> Result<DirRule, String> {
        match s.split_once('=') {
            Some((prefix, dir)) if !prefix.is_empty() && !dir.is_empty() => Ok(DirRule {
                prefix: prefix.into(),
                dir: dir.into(),
            }),
            _ => Err(format!("{s:?} is not PREFIX=DIR")),
        }
    }

    /// The map (and the minified file beside it) for `file` sent with `release`, or why not.
    fn locate(&self, file: &str, release: &str) -> Option<Result<Located, Failure>> {
        let rest = file.strip_prefix(&self.prefix)?;
        let rest = rest.split(['?', '#']).next().unwrap_or("");
        let Some(dir) = substitute_release(&self.dir, release) else {
            return Some(Err(Failure::Refused));
        };
        let Some(rel) = safe_relative(rest) else {
            return Some(Err(Failure::Refused));
        };
        let minified = Path::new(&dir).join(&rel);
        let mut map = minified.clone().into_os_string();
        map.push(".map");
        Some(Ok(Located::File {
            map: map.into(),
            minified,
        }))
    }
}

/// `dir` with `{release}` / `{{ .Release }}` replaced, or None when it names the release and the
/// release is empty or could leave the directory (`/`, a backslash, `..`).
fn substitute_release(dir: &str, release: &str) -> Option<String> {
    const PLACEHOLDERS: [&str; 3] = ["{release}", "{{ .Release }}", "{{.Release}}"];
    if !PLACEHOLDERS.iter().any(|p| dir.contains(p)) {
        return Some(dir.into());
    }
    if release.is_empty()
        || release.contains(['/', '\\', '\0'])
        || release.contains("..")
        || release.chars().any(char::is_control)
    {
        return None;
    }
    Some(
        PLACEHOLDERS
            .iter()
            .fold(dir.to_string(), |d, p| d.replace(p, release)),
    )
}

/// The rest of a URL path as a path that stays inside its directory, or None: `..` and `.`
/// segments, absolute paths, backslashes, percent-encoding, drive letters and empty segments
/// are refused rather than interpreted.
fn safe_relative(rest: &str) -> Option<PathBuf> {
    let rest = rest.strip_prefix('/').unwrap_or(rest);
    if rest.is_empty() || rest.contains(['\\', '%', ':', '\0']) {
        return None;
    }
    let mut path = PathBuf::new();
    for segment in rest.split('/') {
        if segment.is_empty() || segment == "." || segment == ".." {
            return None;
        }
        path.push(segment);
    }
    path.components()
        .all(|c| matches!(c, Component::Normal(_)))
        .then_some(path)
}

/// Where one frame's map comes from.
#[derive(Debug, Clone, PartialEq)]
enum Located {
    Url(Url),
    File { map: PathBuf, minified: PathBuf },
}

impl Located {
    fn key(&self) -> String {
        match self {
            Located::Url(u) => format!("url {u}"),
            Located::File { map, .. } => format!("file {}", map.display()),
        }
    }
}

/// Why a frame was left as it was; the `result` label.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// No `--sourcemaps-dir` prefix and no allowed origin covers the frame's file, a redirect
    /// left the allowed origins, or a path or release would leave its directory.
    Refused,
    /// The script, the map or the file is not there (404, 410, no such file).
    Missing,
    /// The map is not a source map, or a `sourceMappingURL` is not a URL.
    Invalid,
    /// Over `--sourcemaps-max-bytes`.
    TooLarge,
    /// Over `--sourcemaps-timeout`.
    Timeout,
    /// Anything else: connection refused, a 5xx, a read error.
    Error,
    /// The map is there but has nothing at the frame's position.
    NoMapping,
    /// More than [`MAX_SCRIPTS_PER_PAYLOAD`] scripts in one payload.
    Skipped,
}

impl Failure {
    fn label(self) -> &'static str {
        match self {
            Failure::Refused => "not_allowed",
            Failure::Missing => "missing",
            Failure::Invalid => "invalid",
            Failure::TooLarge => "too_large",
            Failure::Timeout => "timeout",
            Failure::Error => "error",
            Failure::NoMapping => "no_mapping",
            Failure::Skipped => "skipped",
        }
    }
}

/// A loaded map with the minified source it maps, when there is one (for function names).
pub struct Loaded {
    map: DecodedMap,
    minified: Option<SourceView>,
    weight: u32,
}

impl Loaded {
    fn new(map: DecodedMap, minified: Option<String>, map_bytes: usize) -> Loaded {
        let tokens = match &map {
            DecodedMap::Regular(sm) => sm.get_token_count() as usize,
            _ => map_bytes / 4,
        };
        let weight = minified.as_ref().map_or(0, String::len)
            + map_bytes
            + tokens * std::mem::size_of::<sourcemap::RawToken>();
        Loaded {
            map,
            minified: minified.map(SourceView::from_string),
            weight: u32::try_from(weight).unwrap_or(u32::MAX),
        }
    }
}

type Entry = Result<Arc<Loaded>, Failure>;

/// Successes are kept for [`SUCCESS_TTL`], failures for [`FAILURE_TTL`].
struct Ttl;

impl moka::Expiry<String, Entry> for Ttl {
    fn expire_after_create(&self, _key: &String, value: &Entry, _now: Instant) -> Option<Duration> {
        Some(if value.is_ok() {
            SUCCESS_TTL
        } else {
            FAILURE_TTL
        })
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct LookupLabels {
    result: String,
}

/// The allowed origins, shared with the redirect policy.
#[derive(Debug, Clone, Default)]
struct Origins(Vec<String>);

impl Origins {
    fn allows(&self, url: &Url) -> bool {
        matches!(url.scheme(), "http" | "https")
            && self
                .0
                .iter()
                .any(|o| o == "*" || *o == url.origin().ascii_serialization())
    }
}

/// The source-map lookup: the configuration, the HTTP client, the bounded cache.
pub struct SourceMaps {
    flags: Flags,
    origins: Origins,
    client: Option<reqwest::Client>,
    cache: Cache<String, Entry>,
    lookups: Family<LookupLabels, Counter>,
}

impl SourceMaps {
    /// Builds the lookup and registers `rum_sourcemap_lookups_total{result}`.
    pub fn new(flags: &Flags, registry: &mut Registry) -> SourceMaps {
        install_tls_provider();
        let origins = Origins(if flags.download {
            flags.origins.clone()
        } else {
            Vec::new()
        });
        let policy_origins = origins.clone();
        let client = flags.download.then(|| {
            reqwest::Client::builder()
                .user_agent(concat!(
                    "wasm-rum-collector/",
                    env!("CARGO_PKG_VERSION"),
                    " (source maps)"
                ))
                .redirect(reqwest::redirect::Policy::custom(move |attempt| {
                    if attempt.previous().len() >= MAX_REDIRECTS
                        || !policy_origins.allows(attempt.url())
                    {
                        attempt.stop()
                    } else {
                        attempt.follow()
                    }
                }))
                .build()
                .ok()
        });
        let cache = Cache::builder()
            .max_capacity(flags.cache_bytes)
            .weigher(|key: &String, value: &Entry| match value {
                Ok(l) => l.weight,
                Err(_) => u32::try_from(key.len() + 64).unwrap_or(u32::MAX),
            })
            .eviction_policy(EvictionPolicy::lru())
            .expire_after(Ttl)
            .build();
        let lookups = Family::<LookupLabels, Counter>::default();
        registry.register(
            "rum_sourcemap_lookups",
            "Stack frames looked up in a source map, by result (mapped, not_allowed, missing, invalid, too_large, timeout, error, no_mapping, skipped)",
            lookups.clone(),
        );
        SourceMaps {
            flags: flags.clone(),
            origins,
            client: client.flatten(),
            cache,
            lookups,
        }
    }

    /// Whether any mode is on; when none is, payloads are left alone and nothing is counted.
    pub fn enabled(&self) -> bool {
        !self.flags.dirs.is_empty() || self.client.is_some()
    }

    fn count(&self, result: &str) {
        self.lookups
            .get_or_create(&LookupLabels {
                result: result.into(),
            })
            .inc();
    }

    /// Where the map of a frame in `file` comes from: the first `--sourcemaps-dir` prefix it
    /// starts with, else its URL when download mode allows it.
    fn locate(&self, file: &str, release: &str) -> Result<Located, Failure> {
        if let Some(found) = self.flags.dirs.iter().find_map(|d| d.locate(file, release)) {
            return found;
        }
        if self.client.is_none() {
            return Err(Failure::Refused);
        }
        let mut url = Url::parse(file).map_err(|_| Failure::Refused)?;
        if !self.origins.allows(&url) {
            return Err(Failure::Refused);
        }
        url.set_query(None);
        url.set_fragment(None);
        let _ = url.set_username("");
        let _ = url.set_password(None);
        Ok(Located::Url(url))
    }

    /// Rewrites every frame of every exception of `p` that a map covers; the rest stay.
    pub async fn map_payload(&self, p: &mut Payload) {
        if !self.enabled() {
            return;
        }
        let release = p.meta.app.release.clone();
        let frames: Vec<&mut Frame> = p
            .exceptions
            .iter_mut()
            .filter_map(|e| e.stacktrace.as_mut())
            .flat_map(|s| s.frames.iter_mut())
            .collect();
        if frames.is_empty() {
            return;
        }
        let located: Vec<Result<Located, Failure>> = frames
            .iter()
            .map(|f| self.locate(&f.filename, &release))
            .collect();
        let mut distinct: Vec<&Located> = Vec::new();
        // Bounded before comparing: a payload of 100 000 distinct URLs costs no quadratic scan.
        for l in located.iter().flatten() {
            if distinct.len() < MAX_SCRIPTS_PER_PAYLOAD && !distinct.contains(&l) {
                distinct.push(l);
            }
        }
        let loads = futures_util::future::join_all(distinct.iter().map(|l| self.load(l))).await;
        let loaded: HashMap<String, Entry> = distinct.iter().map(|l| l.key()).zip(loads).collect();
        for (frame, where_) in frames.into_iter().zip(&located) {
            let result = match where_ {
                Err(f) => Err(*f),
                Ok(l) => match loaded.get(&l.key()) {
                    None => Err(Failure::Skipped),
                    Some(Err(f)) => Err(*f),
                    Some(Ok(map)) => map_frame(map, frame),
                },
            };
            self.count(result.err().map_or("mapped", Failure::label));
        }
    }

    /// The map for `l`, from the cache or loaded once however many ask at the same time.
    async fn load(&self, l: &Located) -> Entry {
        let key = l.key();
        let l = l.clone();
        self.cache
            .get_with(key, async move {
                match l {
                    Located::Url(u) => self.download(u).await,
                    Located::File { map, minified } => {
                        let max = self.flags.max_bytes;
                        tokio::task::spawn_blocking(move || read_files(&map, &minified, max))
                            .await
                            .unwrap_or(Err(Failure::Error))
                    }
                }
            })
            .await
    }

    /// Fetches the script, then the map it names (`SourceMap` header, `//# sourceMappingURL=`,
    /// relative or `data:`), else `<script URL>.map`.
    async fn download(&self, script_url: Url) -> Entry {
        let (headers, script) = self.fetch(&script_url).await?;
        let script = String::from_utf8_lossy(&script).into_owned();
        let reference = ["sourcemap", "x-sourcemap"]
            .iter()
            .find_map(|h| headers.get(*h).and_then(|v| v.to_str().ok()))
            .map(str::to_string)
            .or_else(|| source_mapping_url(&script).map(str::to_string));
        let map_bytes = match reference {
            Some(r) if r.starts_with("data:") => {
                return parse(move || sourcemap::decode_data_url(&r), Some(script), 0).await;
            }
            Some(r) => {
                let url = script_url.join(&r).map_err(|_| Failure::Invalid)?;
                if !self.origins.allows(&url) {
                    return Err(Failure::Refused);
                }
                self.fetch(&url).await?.1
            }
            None => {
                let mut url = script_url.clone();
                url.set_path(&format!("{}.map", script_url.path()));
                self.fetch(&url).await?.1
            }
        };
        let len = map_bytes.len();
        parse(
            move || sourcemap::decode_slice(&map_bytes),
            Some(script),
            len,
        )
        .await
    }

    /// One GET within `--sourcemaps-timeout` and `--sourcemaps-max-bytes`.
    async fn fetch(&self, url: &Url) -> Result<(reqwest::header::HeaderMap, Vec<u8>), Failure> {
        let client = self.client.as_ref().ok_or(Failure::Refused)?;
        let max = self.flags.max_bytes;
        let get = async {
            let mut resp = client
                .get(url.clone())
                .send()
                .await
                .map_err(|_| Failure::Error)?;
            let status = resp.status();
            if status.is_redirection() {
                return Err(Failure::Refused);
            }
            if status == reqwest::StatusCode::NOT_FOUND || status == reqwest::StatusCode::GONE {
                return Err(Failure::Missing);
            }
            if !status.is_success() {
                return Err(Failure::Error);
            }
            if resp.content_length().is_some_and(|n| n > max as u64) {
                return Err(Failure::TooLarge);
            }
            let mut body = Vec::new();
            while let Some(chunk) = resp.chunk().await.map_err(|_| Failure::Error)? {
                if body.len() + chunk.len() > max {
                    return Err(Failure::TooLarge);
                }
                body.extend_from_slice(&chunk);
            }
            Ok((resp.headers().clone(), body))
        };
        tokio::time::timeout(self.flags.timeout, get)
            .await
            .unwrap_or(Err(Failure::Timeout))
    }
}

/// Installs ring as the process's TLS crypto provider (once; later calls do nothing), which
/// every HTTPS client of the collector uses.
pub fn install_tls_provider() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// Parses a map off the async threads (a big map takes a while).
async fn parse(
    decode: impl FnOnce() -> sourcemap::Result<DecodedMap> + Send + 'static,
    minified: Option<String>,
    map_bytes: usize,
) -> Entry {
    tokio::task::spawn_blocking(move || {
        let map = decode().map_err(|_| Failure::Invalid)?;
        Ok(Arc::new(Loaded::new(map, minified, map_bytes)))
    })
    .await
    .unwrap_or(Err(Failure::Error))
}

/// Directory mode: the map, and the minified file beside it when it is there.
fn read_files(map: &Path, minified: &Path, max: usize) -> Entry {
    let bytes = read_capped(map, max)?;
    let map = sourcemap::decode_slice(&bytes).map_err(|_| Failure::Invalid)?;
    let script = read_capped(minified, max)
        .ok()
        .map(|b| String::from_utf8_lossy(&b).into_owned());
    Ok(Arc::new(Loaded::new(map, script, bytes.len())))
}

fn read_capped(path: &Path, max: usize) -> Result<Vec<u8>, Failure> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Failure::Missing,
        _ => Failure::Error,
    })?;
    if !file.metadata().map_err(|_| Failure::Error)?.is_file() {
        return Err(Failure::Missing);
    }
    let mut bytes = Vec::new();
    file.take(max as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(|_| Failure::Error)?;
    if bytes.len() > max {
        return Err(Failure::TooLarge);
    }
    Ok(bytes)
}

/// The last `//# sourceMappingURL=` (or the legacy `//@`) comment of a script.
fn source_mapping_url(script: &str) -> Option<&str> {
    script.lines().rev().find_map(|line| {
        let line = line.trim();
        line.strip_prefix("//# sourceMappingURL=")
            .or_else(|| line.strip_prefix("//@ sourceMappingURL="))
            .map(str::trim)
            .filter(|u| !u.is_empty())
    })
}

/// Rewrites one frame to its original source, line, column and function, or leaves it.
fn map_frame(loaded: &Loaded, frame: &mut Frame) -> Result<(), Failure> {
    let (Ok(line), Ok(col)) = (
        u32::try_from(frame.lineno.saturating_sub(1)),
        u32::try_from(frame.colno.max(1) - 1),
    ) else {
        return Err(Failure::NoMapping);
    };
    let token = loaded
        .map
        .lookup_token(line, col)
        .filter(|t| t.get_dst_line() == line)
        .ok_or(Failure::NoMapping)?;
    let source = token.get_source().ok_or(Failure::NoMapping)?;
    let (src_line, src_col) = (token.get_src_line(), token.get_src_col());
    let function = original_function(loaded, &token, &frame.function, line, col);
    frame.filename = source.to_string();
    frame.module.clear();
    frame.lineno = i64::from(src_line) + 1;
    frame.colno = i64::from(src_col) + 1;
    if let Some(name) = function {
        frame.function = name;
    }
    Ok(())
}

/// The original name of the function enclosing a frame: from the minified source as Sentry
/// does (`function r` found before the position, and the map's name for `r`), else from the
/// original source (`sourcesContent`), else the name the map gives the position itself.
fn original_function(
    loaded: &Loaded,
    token: &sourcemap::Token<'_>,
    minified_name: &str,
    line: u32,
    col: u32,
) -> Option<String> {
    let bare = minified_name
        .rsplit(['.', ' '])
        .next()
        .unwrap_or(minified_name);
    if let Some(name) = loaded.minified.as_ref().and_then(|sv| {
        loaded
            .map
            .get_original_function_name(line, col, Some(bare), Some(sv))
    }) {
        return Some(name.to_string());
    }
    let content = match &loaded.map {
        DecodedMap::Regular(sm) => sm.get_source_contents(token.get_src_id()),
        _ => None,
    };
    if let Some(name) =
        content.and_then(|c| enclosing_function(c, token.get_src_line(), token.get_src_col()))
    {
        return Some(name);
    }
    token.get_name().map(str::to_string)
}

/// The name of the function whose body holds (line, col) (0-based, col in UTF-16 units) in a
/// JavaScript or TypeScript source, by walking back to the unmatched `{` of each enclosing
/// block and reading its header: `function name(…)`, a method `name(…)`, `name = (…) =>`,
/// `name: function (…)`. Control blocks (`if`, `for`, `try`, …) are walked through; an
/// anonymous function or a class stops the walk (None). A heuristic: braces in strings and
/// comments, and arrow functions without a block body, can mislead it.
pub fn enclosing_function(source: &str, line: u32, col: u32) -> Option<String> {
    let mut offset = 0usize;
    for (i, l) in source.split_inclusive('\n').enumerate() {
        if i == line as usize {
            let mut units = 0u32;
            let mut within = 0usize;
            for c in l.chars() {
                if units >= col {
                    break;
                }
                units += c.len_utf16() as u32;
                within += c.len_utf8();
            }
            offset += within;
            break;
        }
        offset += l.len();
    }
    let before = source.get(..offset)?;
    let chars: Vec<char> = before.chars().rev().take(MAX_SCAN_CHARS).collect();
    // chars[0] is the character just before the position.
    let mut depth = 0usize;
    for (i, c) in chars.iter().enumerate() {
        match c {
            '}' => depth += 1,
            '{' if depth > 0 => depth -= 1,
            '{' => {
                let header: String = chars[i + 1..].iter().take(400).rev().collect();
                match block_owner(&header) {
                    Owner::Named(name) => return Some(name),
                    Owner::Anonymous => return None,
                    Owner::NotAFunction => {}
                }
            }
            _ => {}
        }
    }
    None
}

enum Owner {
    Named(String),
    Anonymous,
    NotAFunction,
}

const CONTROL: [&str; 8] = [
    "if", "for", "while", "switch", "catch", "with", "function", "return",
];

/// What opens the block whose `{` follows `header`.
fn block_owner(header: &str) -> Owner {
    let h = header.trim_end();
    // A return type annotation in TypeScript: `name(a: A): Promise<B> {`.
    let h = strip_return_type(h);
    if let Some(rest) = h.strip_suffix("=>") {
        // `(…) =>` or `x =>`, maybe `async`, then `name =` / `name:` / nothing.
        let rest = strip_return_type(rest.trim_end());
        let rest = if rest.ends_with(')') {
            before_matching_paren(rest)
        } else {
            rest.trim_end_matches(is_ident_char)
        }
        .trim_end();
        let rest = rest.strip_suffix("async").unwrap_or(rest).trim_end();
        return assigned_name(rest).map_or(Owner::Anonymous, Owner::Named);
    }
    if h.ends_with(')') {
        let before = before_matching_paren(h).trim_end();
        let before = strip_type_params(before);
        let word = last_ident(before);
        if word.is_empty() {
            return Owner::NotAFunction;
        }
        let ahead = before[..before.len() - word.len()].trim_end();
        let ahead_no_star = ahead.strip_suffix('*').unwrap_or(ahead).trim_end();
        if word == "function" {
            // `name = function (…) {` or an anonymous function expression.
            let a = ahead.strip_suffix("async").unwrap_or(ahead).trim_end();
            return assigned_name(a).map_or(Owner::Anonymous, Owner::Named);
        }
        if ahead_no_star.ends_with("function") {
            return Owner::Named(word.to_string());
        }
        if CONTROL.contains(&word) {
            return Owner::NotAFunction;
        }
        if ahead.ends_with('.') {
            // `foo.bar(…) {` is not a definition.
            return Owner::NotAFunction;
        }
        // A method: `name(…) {`, `async name(…) {`, `static name(…) {`, `get name() {`.
        return Owner::Named(word.to_string());
    }
    let word = last_ident(h);
    if word == "class"
        || h.trim_end_matches(is_ident_char)
            .trim_end()
            .ends_with("class")
    {
        return Owner::Anonymous;
    }
    Owner::NotAFunction
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$'
}

fn last_ident(s: &str) -> &str {
    let start = s
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_ident_char(*c))
        .last()
        .map_or(s.len(), |(i, _)| i);
    &s[start..]
}

/// `… name =`, `… name:` (an object property), `… name` + type annotation: the name.
fn assigned_name(s: &str) -> Option<String> {
    let s = s.trim_end();
    let s = if let Some(r) = s.strip_suffix('=') {
        if r.ends_with(['=', '!', '<', '>']) {
            return None;
        }
        // `const name: Handler = …`
        match r.trim_end().rsplit_once(':') {
            Some((n, ty)) if !ty.contains(['(', ')', '{', '}', ';', ',']) => n,
            _ => r,
        }
    } else {
        s.strip_suffix(':')?
    };
    let name = last_ident(s.trim_end().trim_end_matches(['"', '\'']));
    (!name.is_empty() && !name.starts_with(|c: char| c.is_ascii_digit())).then(|| name.to_string())
}

/// `h` without a trailing TypeScript return type (`): T`), leaving the `)`.
fn strip_return_type(h: &str) -> &str {
    // Look for the last `)` followed by `:` and a type with no braces or parens.
    if let Some(i) = h.rfind(')') {
        let tail = h[i + 1..].trim_start();
        if tail.starts_with(':') && !tail.contains(['(', ')', '{', '}', ';', '=']) {
            return &h[..=i];
        }
    }
    h
}

/// `name<T>` without its type parameters.
fn strip_type_params(s: &str) -> &str {
    if s.ends_with('>') {
        if let Some(i) = s.rfind('<') {
            return s[..i].trim_end();
        }
    }
    s
}

/// The text before the `(` that matches the `)` ending `s` (or `s` itself when unbalanced).
fn before_matching_paren(s: &str) -> &str {
    let mut depth = 0usize;
    for (i, c) in s.char_indices().rev() {
        match c {
            ')' => depth += 1,
            '(' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return &s[..i];
                }
            }
            _ => {}
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn maps(flags: Flags) -> SourceMaps {
        SourceMaps::new(&flags, &mut Registry::default())
    }

    fn download(origins: &[&str]) -> SourceMaps {
        maps(Flags {
            download: true,
            origins: origins.iter().map(|o| parse_origin(o).unwrap()).collect(),
            ..Flags::default()
        })
    }

    fn dir(rule: &str) -> SourceMaps {
        maps(Flags {
            dirs: vec![DirRule::parse(rule).unwrap()],
            ..Flags::default()
        })
    }

    #[test]
    fn origins_are_normalised_and_only_http_or_https() {
        assert_eq!(
            parse_origin("https://shop.example.com:443").unwrap(),
            "https://shop.example.com"
        );
        assert_eq!(
            parse_origin("http://localhost:8080/").unwrap(),
            "http://localhost:8080"
        );
        assert!(parse_origin("ftp://x.test").is_err());
        assert!(parse_origin("https://x.test/assets").is_err());
        assert!(parse_origin("x.test").is_err());
        assert_eq!(parse_origin("*").unwrap(), "*");
    }

    #[test]
    fn download_mode_allows_only_listed_origins_and_strips_the_query() {
        let m = download(&["https://shop.example.com"]);
        assert_eq!(
            m.locate("https://shop.example.com/assets/a.js?v=3#x", ""),
            Ok(Located::Url(
                Url::parse("https://shop.example.com/assets/a.js").unwrap()
            ))
        );
        for refused in [
            "https://evil.example.com/a.js",
            "http://shop.example.com/a.js",
            "https://shop.example.com:8443/a.js",
            "file:///etc/passwd",
            "data:text/javascript,1",
            "[native code]",
            "",
        ] {
            assert_eq!(m.locate(refused, ""), Err(Failure::Refused), "{refused}");
        }
        let any = download(&["*"]);
        assert!(any.locate("http://10.0.0.1:9/a.js", "").is_ok());
        assert_eq!(any.locate("file:///etc/passwd", ""), Err(Failure::Refused));
        // Credentials in a frame's URL are never sent.
        assert_eq!(
            any.locate("https://u:p@x.test/a.js", ""),
            Ok(Located::Url(Url::parse("https://x.test/a.js").unwrap()))
        );
    }

    #[test]
    fn download_with_no_origin_fetches_nothing_and_off_means_off() {
        assert_eq!(
            download(&[]).locate("https://x.test/a.js", ""),
            Err(Failure::Refused)
        );
        let off = maps(Flags {
            origins: vec!["*".into()],
            ..Flags::default()
        });
        assert!(!off.enabled());
    }

    #[test]
    fn directory_mode_maps_the_rest_of_the_path_with_the_release() {
        let m = dir("https://shop.example.com/assets/=/srv/maps/{release}");
        assert_eq!(
            m.locate(
                "https://shop.example.com/assets/js/index-4f2a.js?x=1",
                "1.4.0"
            ),
            Ok(Located::File {
                map: "/srv/maps/1.4.0/js/index-4f2a.js.map".into(),
                minified: "/srv/maps/1.4.0/js/index-4f2a.js".into(),
            })
        );
        let alloy = dir("https://shop.example.com/assets=/srv/{{ .Release }}/maps");
        assert_eq!(
            alloy.locate("https://shop.example.com/assets/a.js", "v2"),
            Ok(Located::File {
                map: "/srv/v2/maps/a.js.map".into(),
                minified: "/srv/v2/maps/a.js".into(),
            })
        );
        let fixed = dir("https://x.test/=/srv/maps");
        assert!(fixed.locate("https://x.test/a.js", "").is_ok());
        // Not under the prefix, and no download mode: refused.
        assert_eq!(
            m.locate("https://cdn.example.com/a.js", "1"),
            Err(Failure::Refused)
        );
    }

    #[test]
    fn directory_mode_refuses_releases_and_paths_that_leave_the_directory() {
        let m = dir("https://x.test/=/srv/maps/{release}");
        for release in ["", "../etc", "a/b", "a\\b", "..", "x\0y"] {
            assert_eq!(
                m.locate("https://x.test/a.js", release),
                Err(Failure::Refused),
                "{release:?}"
            );
        }
        for path in [
            "https://x.test/../etc/passwd",
            "https://x.test/a/../../b.js",
            "https://x.test///etc/passwd",
            "https://x.test/%2e%2e/b.js",
            "https://x.test/a%2fb.js",
            "https://x.test/a\\..\\b.js",
            "https://x.test/C:/b.js",
            "https://x.test/./a.js",
            "https://x.test/",
        ] {
            assert_eq!(m.locate(path, "1"), Err(Failure::Refused), "{path}");
        }
    }

    #[test]
    fn the_last_source_mapping_comment_counts() {
        assert_eq!(
            source_mapping_url(
                "a()\n//# sourceMappingURL=old.map\nb()\n//# sourceMappingURL=app.js.map\n"
            ),
            Some("app.js.map")
        );
        assert_eq!(
            source_mapping_url("x\n//@ sourceMappingURL=legacy.map"),
            Some("legacy.map")
        );
        assert_eq!(source_mapping_url("no comment"), None);
    }

    /// `function outer(){function inner(){throw new Error("x")}inner()}` mapped from two lines
    /// of `src/app.ts`, the way esbuild writes it: `inner` renamed `r`, a name on the
    /// declaration, none at the throw.
    fn sample() -> (String, String) {
        // Minified: `function o(){function r(){throw new Error("x")}r()}o();`
        let minified = "function o(){function r(){throw new Error(\"x\")}r()}o();\n".to_string();
        let mut b = sourcemap::SourceMapBuilder::new(None);
        let src = b.add_source("app.ts");
        let original = "export function outer() {\n  function inner() {\n    throw new Error(\"x\");\n  }\n  inner();\n}\n";
        b.set_source_contents(src, Some(original));
        b.add_raw(0, 0, 0, 0, Some(src), None, false); // `function o`
        let outer = b.add_name("outer");
        b.add_raw(0, 9, 0, 16, Some(src), Some(outer), false);
        b.add_raw(0, 13, 1, 2, Some(src), None, false); // `function r`
        let inner = b.add_name("inner");
        b.add_raw(0, 22, 1, 11, Some(src), Some(inner), false);
        b.add_raw(0, 26, 2, 4, Some(src), None, false); // `throw`
        b.add_raw(0, 32, 2, 10, Some(src), None, false); // `new Error`
        b.add_raw(0, 48, 4, 2, Some(src), None, false); // `r()`
        let mut sm = b.into_sourcemap();
        sm.set_source_root(Some("webpack:///src"));
        let mut json = Vec::new();
        sm.to_writer(&mut json).unwrap();
        (minified, String::from_utf8(json).unwrap())
    }

    fn frame(function: &str, lineno: i64, colno: i64) -> Frame {
        Frame {
            function: function.into(),
            filename: "https://x.test/app.js".into(),
            lineno,
            colno,
            ..Frame::default()
        }
    }

    fn loaded(with_minified: bool) -> Loaded {
        let (minified, json) = sample();
        Loaded::new(
            sourcemap::decode_slice(json.as_bytes()).unwrap(),
            with_minified.then_some(minified),
            json.len(),
        )
    }

    #[test]
    fn a_frame_maps_to_the_source_with_its_root_and_the_enclosing_function_from_the_minified_source(
    ) {
        // V8: `at r (app.js:1:27)`: the throw, 1-based.
        let mut f = frame("r", 1, 27);
        assert_eq!(map_frame(&loaded(true), &mut f), Ok(()));
        assert_eq!(f.filename, "webpack:///src/app.ts");
        assert_eq!((f.lineno, f.colno), (3, 5));
        assert_eq!(f.function, "inner");
    }

    #[test]
    fn without_the_minified_source_the_function_comes_from_sources_content() {
        let mut f = frame("r", 1, 27);
        assert_eq!(map_frame(&loaded(false), &mut f), Ok(()));
        assert_eq!(f.function, "inner");
        // `r()` inside `o`: the enclosing function of line 5 is `outer`.
        let mut f = frame("o", 1, 49);
        assert_eq!(map_frame(&loaded(false), &mut f), Ok(()));
        assert_eq!((f.lineno, f.colno, f.function.as_str()), (5, 3, "outer"));
    }

    #[test]
    fn a_position_the_map_does_not_cover_is_left_alone() {
        let mut f = frame("r", 7, 1);
        assert_eq!(map_frame(&loaded(true), &mut f), Err(Failure::NoMapping));
        assert_eq!(
            (f.filename.as_str(), f.lineno, f.function.as_str()),
            ("https://x.test/app.js", 7, "r")
        );
        let mut f = frame("r", 0, 0);
        assert_eq!(map_frame(&loaded(true), &mut f), Err(Failure::NoMapping));
        for (line, col) in [
            (i64::MIN, i64::MIN),
            (i64::MAX, i64::MAX),
            (-1, 5),
            (1, i64::MIN),
        ] {
            let mut f = frame("r", line, col);
            let _ = map_frame(&loaded(true), &mut f);
        }
    }

    #[test]
    fn enclosing_function_reads_the_common_shapes() {
        let cases = [
            ("function load(id) {\n  return fetch(id);\n}", 1, 2, Some("load")),
            ("async function* gen() {\n  yield 1;\n}", 1, 2, Some("gen")),
            ("const onClick = (e: MouseEvent): void => {\n  if (e) {\n    boom();\n  }\n}", 2, 4, Some("onClick")),
            ("export const total = async (cart) => {\n  x();\n}", 1, 2, Some("total")),
            ("class Cart {\n  static add<T>(item: T): number {\n    x();\n  }\n}", 2, 4, Some("add")),
            ("const api = {\n  save: function () {\n    x();\n  },\n};", 2, 4, Some("save")),
            ("const h = function () {\n  x();\n}", 1, 2, Some("h")),
            ("items.forEach((i) => {\n  x(i);\n});", 1, 2, None),
            ("function outer() {\n  try {\n    for (;;) {\n      x();\n    }\n  } catch (e) {}\n}", 3, 6, Some("outer")),
            ("function a() { if (x) { y(); } }\nz();", 1, 0, None),
        ];
        for (src, line, col, want) in cases {
            assert_eq!(enclosing_function(src, line, col).as_deref(), want, "{src}");
        }
    }

    proptest::proptest! {
        /// Any text (sourcesContent is the sender's site's) and any position: no panic.
        #[test]
        fn enclosing_function_never_panics(src in "[a-z(){}=>:;,.*<>/\\\"' \n\u{e9}\u{1F600}]{0,200}", line in 0u32..12, col in 0u32..80) {
            let _ = enclosing_function(&src, line, col);
        }
    }

    #[test]
    fn the_cache_weighs_what_it_holds() {
        let l = loaded(true);
        assert!(l.weight as usize > sample().0.len() + sample().1.len());
    }

    #[tokio::test]
    async fn the_cache_keeps_the_least_recently_used_maps_within_its_bytes() {
        let tmp = std::env::temp_dir().join(format!("wasm-rum-sm-lru-{}", std::process::id()));
        std::fs::create_dir_all(&tmp).unwrap();
        let (minified, json) = sample();
        for name in ["a", "b", "c"] {
            std::fs::write(tmp.join(format!("{name}.js")), &minified).unwrap();
            std::fs::write(tmp.join(format!("{name}.js.map")), &json).unwrap();
        }
        let one = u64::from(loaded(true).weight);
        let m = maps(Flags {
            dirs: vec![DirRule::parse(&format!("https://x.test/={}", tmp.display())).unwrap()],
            cache_bytes: one * 2 + one / 2,
            ..Flags::default()
        });
        let key = |n: &str| m.locate(&format!("https://x.test/{n}.js"), "").unwrap();
        for n in ["a", "b", "a", "c"] {
            assert!(m.load(&key(n)).await.is_ok());
            m.cache.run_pending_tasks().await;
        }
        // Room for two: `b`, used least recently, made room for `c`.
        assert!(m.cache.contains_key(&key("a").key()));
        assert!(!m.cache.contains_key(&key("b").key()));
        assert!(m.cache.contains_key(&key("c").key()));
        assert!(m.cache.weighted_size() <= one * 2 + one / 2);
        let _ = std::fs::remove_dir_all(&tmp);
    }

    #[tokio::test]
    async fn at_most_sixteen_scripts_are_looked_up_per_payload() {
        let mut registry = Registry::default();
        let flags = Flags {
            dirs: vec![DirRule::parse("https://x.test/=/nonexistent-wasm-rum-maps").unwrap()],
            ..Flags::default()
        };
        let m = SourceMaps::new(&flags, &mut registry);
        let frames: Vec<String> = (0..20)
            .map(|i| format!(r#"{{"filename":"https://x.test/s{i}.js","lineno":1,"colno":1}}"#))
            .collect();
        let body = format!(
            r#"{{"exceptions":[{{"type":"E","stacktrace":{{"frames":[{}]}}}}]}}"#,
            frames.join(",")
        );
        let mut p = crate::payload::decode(body.as_bytes()).unwrap();
        m.map_payload(&mut p).await;
        let mut text = String::new();
        prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
        assert!(
            text.contains(r#"rum_sourcemap_lookups_total{result="missing"} 16"#),
            "{text}"
        );
        assert!(
            text.contains(r#"rum_sourcemap_lookups_total{result="skipped"} 4"#),
            "{text}"
        );
    }

    #[tokio::test]
    async fn directory_mode_reads_the_map_beside_the_minified_file_and_remembers_a_missing_one() {
        let tmp = std::env::temp_dir().join(format!("wasm-rum-sm-{}", std::process::id()));
        let release_dir = tmp.join("1.0");
        std::fs::create_dir_all(&release_dir).unwrap();
        let (minified, json) = sample();
        std::fs::write(release_dir.join("app.js"), minified).unwrap();
        std::fs::write(release_dir.join("app.js.map"), json).unwrap();
        let m = dir(&format!("https://x.test/={}/{{release}}", tmp.display()));
        let mut p = crate::payload::decode(br#"{"meta":{"app":{"name":"a","release":"1.0"}},"exceptions":[{"type":"Error","value":"x","stacktrace":{"frames":[{"function":"r","filename":"https://x.test/app.js","lineno":1,"colno":27},{"function":"q","filename":"https://x.test/gone.js","lineno":1,"colno":1}]}}]}"#).unwrap();
        m.map_payload(&mut p).await;
        let frames = &p.exceptions[0].stacktrace.as_ref().unwrap().frames;
        assert_eq!(frames[0].filename, "webpack:///src/app.ts");
        assert_eq!(frames[0].function, "inner");
        assert_eq!(frames[1].filename, "https://x.test/gone.js");
        // The missing file is remembered: written now, it is still not read for a while.
        std::fs::copy(
            release_dir.join("app.js.map"),
            release_dir.join("gone.js.map"),
        )
        .unwrap();
        let mut again = crate::payload::decode(br#"{"meta":{"app":{"release":"1.0"}},"exceptions":[{"type":"E","stacktrace":{"frames":[{"filename":"https://x.test/gone.js","lineno":1,"colno":27}]}}]}"#).unwrap();
        m.map_payload(&mut again).await;
        assert_eq!(
            again.exceptions[0].stacktrace.as_ref().unwrap().frames[0].filename,
            "https://x.test/gone.js"
        );
        // A corrupt map leaves the frame as it was.
        std::fs::write(release_dir.join("bad.js.map"), "{not json").unwrap();
        let mut bad = crate::payload::decode(br#"{"meta":{"app":{"release":"1.0"}},"exceptions":[{"type":"E","stacktrace":{"frames":[{"filename":"https://x.test/bad.js","lineno":1,"colno":27}]}}]}"#).unwrap();
        m.map_payload(&mut bad).await;
        assert_eq!(
            bad.exceptions[0].stacktrace.as_ref().unwrap().frames[0].filename,
            "https://x.test/bad.js"
        );
        let _ = std::fs::remove_dir_all(&tmp);
    }
}
