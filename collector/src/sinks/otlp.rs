//! OTLP/HTTP traces (`{endpoint}/v1/traces`, JSON): the `resourceSpans` of several payloads go
//! out in one `ExportTraceServiceRequest`, batched for up to 200 ms.

use super::Endpoint;
use std::time::Duration;

/// Payloads' traces batched for up to 200 ms, 100 in one export at most.
pub(super) const ENDPOINT: Endpoint<Vec<u8>> = Endpoint {
    path: "/v1/traces",
    batch: 100,
    wait: Duration::from_millis(200),
    encode,
};

/// `{"resourceSpans": [...]}` with the elements of every payload's `resourceSpans` array (each
/// item is that array, serialised: `[...]`).
fn encode(batch: Vec<Vec<u8>>) -> Vec<u8> {
    let mut body = Vec::with_capacity(batch.iter().map(Vec::len).sum::<usize>() + 32);
    body.extend_from_slice(b"{\"resourceSpans\":[");
    let mut first = true;
    for array in &batch {
        let inner = array
            .strip_prefix(b"[")
            .and_then(|a| a.strip_suffix(b"]"))
            .unwrap_or_default();
        if inner.is_empty() {
            continue;
        }
        if !first {
            body.push(b',');
        }
        body.extend_from_slice(inner);
        first = false;
    }
    body.extend_from_slice(b"]}");
    body
}

#[cfg(test)]
mod tests {
    use super::encode;

    #[test]
    fn several_payloads_make_one_export_with_all_their_resource_spans() {
        let a = br#"[{"resource":{"attributes":[]},"scopeSpans":[]}]"#.to_vec();
        let empty = b"[]".to_vec();
        let b = br#"[{"scopeSpans":[{"spans":[]}]},{"scopeSpans":[]}]"#.to_vec();
        let body: serde_json::Value = serde_json::from_slice(&encode(vec![a, empty, b])).unwrap();
        let rs = body["resourceSpans"].as_array().unwrap();
        assert_eq!(rs.len(), 3);
        assert_eq!(rs[1]["scopeSpans"][0]["spans"], serde_json::json!([]));
    }
}
