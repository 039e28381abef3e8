//! Client-chosen text that could be a secret, pasted into every input slot of
//! a request, and the check that it comes back in no response body and no
//! log line.
//!
//! A client that pastes a secret into the wrong place (a key as a JSON key, a
//! token in the query string) must not find it echoed in the answer, nor
//! leave it in the logs where more people can read it.

use crate::Process;
use crate::client::request;

/// One way to send `secret`: the slot's name and the request.
#[derive(Debug, Clone)]
pub struct Slot {
    /// What carries the secret, for failure messages: `the JSON value of
    /// NAME` for a field.
    pub what: String,
    /// HTTP method.
    pub method: &'static str,
    /// Path and query, already percent-encoded.
    pub path: String,
    /// Header lines.
    pub headers: Vec<(&'static str, String)>,
    /// The body, sent as JSON when present.
    pub body: Option<String>,
}

/// Percent-encodes everything but unreserved characters (RFC 3986).
pub fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Every input slot of a request to `path` with `method`, each carrying
/// `secret` (visible ASCII): an unknown JSON key, each of `json_fields` as a
/// JSON value, the query string (as a value and as a bare key), the path, a
/// header value, `X-Api-Key` and `Authorization` (bare and as a bearer
/// token). `credentials` (header lines) go with the slots that do not
/// themselves carry a credential, so that the request gets past the caller
/// check and the body is read.
pub fn slots(
    method: &'static str,
    path: &str,
    json_fields: &[&str],
    credentials: &[(&'static str, String)],
    secret: &str,
) -> Vec<Slot> {
    let quoted = serde_json::Value::from(secret).to_string();
    let encoded = percent_encode(secret);
    let with_credentials = |what: &str, path: String, extra: Vec<(&'static str, String)>, body| {
        let mut headers = credentials.to_vec();
        headers.extend(extra);
        Slot {
            what: what.to_owned(),
            method,
            path,
            headers,
            body,
        }
    };
    let mut slots = vec![with_credentials(
        "an unknown JSON key",
        path.to_owned(),
        vec![],
        Some(format!("{{{quoted}:1}}")),
    )];
    for field in json_fields {
        slots.push(with_credentials(
            &format!("the JSON value of {field}"),
            path.to_owned(),
            vec![],
            Some(format!("{{\"{field}\":{quoted}}}")),
        ));
    }
    slots.extend([
        with_credentials("a query value", format!("{path}?q={encoded}"), vec![], None),
        with_credentials("a query key", format!("{path}?{encoded}"), vec![], None),
        with_credentials("the path", format!("{path}/{encoded}"), vec![], None),
        with_credentials(
            "a header value",
            path.to_owned(),
            vec![("x-note", secret.to_owned())],
            None,
        ),
    ]);
    for (what, name, value) in [
        ("X-Api-Key", "x-api-key", secret.to_owned()),
        ("Authorization", "authorization", secret.to_owned()),
        (
            "a bearer token",
            "authorization",
            format!("Bearer {secret}"),
        ),
    ] {
        slots.push(Slot {
            what: what.to_owned(),
            method,
            path: path.to_owned(),
            headers: vec![(name, value)],
            body: None,
        });
    }
    slots
}

/// Sends every slot of every `(kind, secret)` to `process`, stops it, and
/// asserts that no `needles(secret)` appears in any response body or any log
/// line. Returns the number of requests sent.
///
/// # Panics
/// Naming the secret kind and the slot (never printing the secret) when one
/// is echoed.
pub fn assert_never_echoed(
    process: &mut Process,
    secrets: &[(&str, &str)],
    slots_for: impl Fn(&str) -> Vec<Slot>,
    needles: impl Fn(&str) -> Vec<String>,
) -> usize {
    let mut sent = 0;
    for (kind, secret) in secrets {
        let needles = needles(secret);
        for slot in slots_for(secret) {
            let mut headers: Vec<(&str, &str)> =
                slot.headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
            if slot.body.is_some() {
                headers.push(("content-type", "application/json"));
            }
            let reply = request(
                slot.method,
                &process.url(&slot.path),
                &headers,
                slot.body.as_deref().map(str::as_bytes),
            );
            sent += 1;
            for needle in &needles {
                assert!(
                    !reply.body.contains(needle.as_str()),
                    "the {kind} sent as {} is echoed in the {} answer's body",
                    slot.what,
                    reply.status
                );
            }
        }
    }
    let (_, logs) = process.finish();
    assert!(!logs.is_empty(), "no logs to check");
    for (kind, secret) in secrets {
        for needle in needles(secret) {
            if let Some(line) = logs.lines().position(|l| l.contains(needle.as_str())) {
                panic!("the {kind} is in log line {}", line + 1);
            }
        }
    }
    sent
}

/// The texts that must not come back for `secret`: itself, and its first and
/// last 24 characters (an echo cut short is still a leak).
pub fn needles(secret: &str) -> Vec<String> {
    let mut needles = vec![secret.to_owned()];
    if secret.len() > 24 {
        needles.push(secret[..24].to_owned());
        needles.push(secret[secret.len() - 24..].to_owned());
    }
    needles
}
