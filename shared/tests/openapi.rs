//! Keeps `openapi.yaml` true to the code without running the service:
//! error codes and their statuses, the customUserId rule, `Allow` values,
//! the response fields, the integer and body limits, and every `$ref`.
//! (`scripts/schemathesis.sh` checks the running functions against it.)
//!
//! No YAML parser is a dependency, so the spec is read as an outline: each
//! scalar with the path of keys above it. That covers the block style the
//! spec is written in (block mappings and sequences, flow sequences of
//! scalars, quoted scalars, `|` / `>` block scalars); anything else fails
//! here loudly rather than being misread.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use customauth::CustomUserId;
use customauth::function::Function as _;
use customauth::handlers::{CreateTicket, GetClientIp, GetUserInfo};
use customauth::http::{ApiError, MAX_BODY_BYTES};
use customauth::identity::UserInfo;
use customauth::ticket::MAX_SAFE_INTEGER;
use customauth::user_id::{MAX_LEN, MIN_LEN};
use lambda_http::Body;
use regex::Regex;

/// The customUserId rule as the SDK writes it (and `user_id.rs` quotes it).
const RULE: &str = r"^[a-zA-Z0-9_\-#@~=*(){}\[\]:.,<>+]{4,32}$";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

// ---------------------------------------------------------------------------
// The outline

/// One scalar of the spec: the keys above it (`-` for a sequence item) and
/// its value, unquoted.
#[derive(Debug)]
struct Entry {
    path: Vec<String>,
    value: String,
}

#[derive(Debug)]
struct Spec {
    entries: Vec<Entry>,
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

fn unquote(raw: &str, line_no: usize) -> String {
    let raw = raw.trim();
    if let Some(inner) = raw.strip_prefix('\'') {
        let inner = inner
            .strip_suffix('\'')
            .unwrap_or_else(|| panic!("openapi.yaml:{line_no}: unterminated 'string'"));
        return inner.replace("''", "'");
    }
    if let Some(inner) = raw.strip_prefix('"') {
        let inner = inner
            .strip_suffix('"')
            .unwrap_or_else(|| panic!("openapi.yaml:{line_no}: unterminated \"string\""));
        assert!(
            !inner.contains('\\'),
            "openapi.yaml:{line_no}: escapes in double quotes are not read here; use single quotes"
        );
        return inner.to_owned();
    }
    assert!(
        !raw.starts_with(['{', '&', '*', '!', '%', '@', '`']),
        "openapi.yaml:{line_no}: YAML feature not read here: {raw}"
    );
    raw.to_owned()
}

/// `[a, 'b, c', d]` → its items.
fn flow_items(raw: &str, line_no: usize) -> Vec<String> {
    let inner = &raw[1..raw.len() - 1];
    let mut items = Vec::new();
    let (mut current, mut quoted) = (String::new(), false);
    for c in inner.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                current.push(c);
            }
            ',' if !quoted => items.push(std::mem::take(&mut current)),
            _ => current.push(c),
        }
    }
    if !current.trim().is_empty() {
        items.push(current);
    }
    items.iter().map(|i| unquote(i, line_no)).collect()
}

/// `key: value` → (key, value); a `:` inside quotes does not count.
fn split_key(text: &str) -> Option<(String, &str)> {
    let mut quoted = None;
    for (i, c) in text.char_indices() {
        match (c, quoted) {
            ('\'' | '"', None) if i == 0 => quoted = Some(c),
            (q, Some(open)) if q == open => quoted = None,
            (':', None) if text[i + 1..].is_empty() || text[i + 1..].starts_with(' ') => {
                return Some((unquote(&text[..i], 0), text[i + 1..].trim()));
            }
            _ => {}
        }
    }
    None
}

impl Spec {
    fn load() -> Self {
        let text = std::fs::read_to_string(root().join("openapi.yaml")).expect("openapi.yaml");
        Self::parse(&text)
    }

    fn parse(text: &str) -> Self {
        let mut entries = Vec::new();
        // (indent, key) of the enclosing mappings and sequence items.
        let mut stack: Vec<(usize, String)> = Vec::new();
        let mut block_scalar: Option<usize> = None;
        for (n, line) in text.lines().enumerate() {
            let line_no = n + 1;
            let indent = indent_of(line);
            let trimmed = line.trim();
            if let Some(parent) = block_scalar {
                if trimmed.is_empty() || indent > parent {
                    continue;
                }
                block_scalar = None;
            }
            if trimmed.is_empty() || trimmed.starts_with('#') {
                continue;
            }
            assert!(!line.contains('\t'), "openapi.yaml:{line_no}: tab");
            while stack.last().is_some_and(|(i, _)| *i >= indent) {
                stack.pop();
            }
            let (mut indent, mut rest) = (indent, trimmed);
            // `- x` opens a sequence item; its content sits two columns in.
            while let Some(item) = rest.strip_prefix("- ").or((rest == "-").then_some("")) {
                stack.push((indent, "-".to_owned()));
                indent += 2;
                rest = item.trim_start();
            }
            let path = |extra: Option<&str>| {
                let mut p: Vec<String> = stack.iter().map(|(_, k)| k.clone()).collect();
                p.extend(extra.map(str::to_owned));
                p
            };
            let (key, value) = match split_key(rest) {
                Some((key, value)) => (Some(key), value),
                None => (None, rest),
            };
            let full = path(key.as_deref());
            match value {
                "" => {}
                "|" | "|-" | ">" | ">-" => {
                    block_scalar = Some(indent);
                    entries.push(Entry {
                        path: full.clone(),
                        value: String::new(),
                    });
                }
                "[]" => entries.push(Entry {
                    path: full.clone(),
                    value: "[]".into(),
                }),
                v if v.starts_with('[') && v.ends_with(']') => {
                    for item in flow_items(v, line_no) {
                        let mut p = full.clone();
                        p.push("-".into());
                        entries.push(Entry {
                            path: p,
                            value: item,
                        });
                    }
                }
                v => entries.push(Entry {
                    path: full.clone(),
                    value: unquote(v, line_no),
                }),
            }
            if let Some(key) = key {
                stack.push((indent, key));
            }
        }
        Self { entries }
    }

    fn matches(path: &[String], query: &[&str]) -> bool {
        path.len() == query.len() && path.iter().zip(query).all(|(a, b)| a == b)
    }

    /// The scalar at `path`.
    fn get(&self, path: &[&str]) -> &str {
        let found: Vec<_> = self
            .entries
            .iter()
            .filter(|e| Self::matches(&e.path, path))
            .collect();
        assert_eq!(found.len(), 1, "openapi.yaml: one value at {path:?}");
        &found[0].value
    }

    /// The items of the sequence of scalars at `path`.
    fn items(&self, path: &[&str]) -> Vec<&str> {
        let mut with_dash = path.to_vec();
        with_dash.push("-");
        self.entries
            .iter()
            .filter(|e| Self::matches(&e.path, &with_dash))
            .map(|e| e.value.as_str())
            .collect()
    }

    /// The keys of the mapping at `path`.
    fn keys(&self, path: &[&str]) -> BTreeSet<&str> {
        self.entries
            .iter()
            .filter(|e| e.path.len() > path.len() && e.path.iter().zip(path).all(|(a, b)| a == b))
            .map(|e| e.path[path.len()].as_str())
            .collect()
    }

    /// Whether anything lies at or under `path`.
    fn has(&self, path: &[&str]) -> bool {
        self.entries
            .iter()
            .any(|e| e.path.len() >= path.len() && e.path.iter().zip(path).all(|(a, b)| a == b))
    }

    /// `path`, or the component its `$ref` names.
    fn resolve(&self, path: &[&str]) -> Vec<String> {
        let mut with_ref = path.to_vec();
        with_ref.push("$ref");
        if self.has(&with_ref) {
            self.deref(path)
        } else {
            path.iter().map(|s| (*s).to_owned()).collect()
        }
    }

    /// The component a `$ref` at `path` names, as a path.
    fn deref(&self, path: &[&str]) -> Vec<String> {
        let mut with_ref = path.to_vec();
        with_ref.push("$ref");
        let target = self.get(&with_ref);
        let target = target
            .strip_prefix("#/")
            .unwrap_or_else(|| panic!("{path:?}: only local $refs: {target}"));
        target.split('/').map(str::to_owned).collect()
    }
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

const OPERATIONS: [(&str, &str); 5] = [
    ("/createTicket", "post"),
    ("/getUserInfo", "get"),
    ("/getUserInfo", "post"),
    ("/getClientIP", "get"),
    ("/getClientIP", "post"),
];

// ---------------------------------------------------------------------------
// What the code says

/// Every `ApiError` but `BadRequest`, whose codes are chosen at the call
/// sites. The match makes a new variant a compile error here.
fn fixed_variants() -> Vec<ApiError> {
    let all = vec![
        ApiError::Unauthorized(String::new()),
        ApiError::Forbidden(String::new()),
        ApiError::MethodNotAllowed { allow: "POST" },
        ApiError::PayloadTooLarge,
        ApiError::UnsupportedMediaType,
        ApiError::Internal,
    ];
    for e in &all {
        match e {
            ApiError::BadRequest { .. }
            | ApiError::Unauthorized(_)
            | ApiError::Forbidden(_)
            | ApiError::MethodNotAllowed { .. }
            | ApiError::PayloadTooLarge
            | ApiError::UnsupportedMediaType
            | ApiError::Internal => {}
        }
    }
    all
}

fn sources() -> Vec<(PathBuf, String)> {
    fn walk(dir: &Path, out: &mut Vec<(PathBuf, String)>) {
        let mut entries: Vec<_> = std::fs::read_dir(dir)
            .expect("read shared/src")
            .map(|e| e.expect("dir entry").path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("read source");
                out.push((path, text));
            }
        }
    }
    let mut out = Vec::new();
    walk(&root().join("shared/src"), &mut out);
    out
}

/// The 400 codes the sources pass to `ApiError::bad_request` or write in a
/// `BadRequest { code: ... }`.
fn bad_request_codes() -> BTreeSet<String> {
    let call = Regex::new(r"bad_request\(").expect("regex");
    let literal = Regex::new(r#"bad_request\(\s*"([A-Z_]+)""#).expect("regex");
    let variant = Regex::new(r#"BadRequest\s*\{\s*code:\s*"([A-Z_]+)""#).expect("regex");
    let mut codes = BTreeSet::new();
    for (path, text) in sources() {
        let calls = call.find_iter(&text).count();
        let definitions = text.matches("fn bad_request(").count();
        let literals: Vec<_> = literal.captures_iter(&text).collect();
        assert_eq!(
            calls - definitions,
            literals.len(),
            "{}: every bad_request call must name its code as a string literal, \
             so that this test can see it",
            path.display()
        );
        codes.extend(literals.iter().map(|c| c[1].to_owned()));
        codes.extend(variant.captures_iter(&text).map(|c| c[1].to_owned()));
    }
    codes
}

/// Every code the service can answer with, and its status.
fn code_statuses() -> BTreeMap<String, u16> {
    let mut map: BTreeMap<String, u16> =
        bad_request_codes().into_iter().map(|c| (c, 400)).collect();
    for e in fixed_variants() {
        map.insert(e.code().to_owned(), e.status().as_u16());
    }
    map
}

fn body_json(body: &Body) -> serde_json::Value {
    let bytes: &[u8] = match body {
        Body::Text(t) => t.as_bytes(),
        Body::Binary(b) => b,
        _ => b"",
    };
    serde_json::from_slice(bytes).expect("JSON body")
}

// ---------------------------------------------------------------------------
// The checks

#[test]
fn error_codes_are_the_ones_the_code_produces() {
    let spec = Spec::load();
    let documented: BTreeSet<&str> = spec
        .items(&["components", "schemas", "ErrorCode", "enum"])
        .into_iter()
        .collect();
    let statuses = code_statuses();
    let produced: BTreeSet<&str> = statuses.keys().map(String::as_str).collect();
    assert_eq!(
        documented, produced,
        "ErrorCode enum vs the codes in shared/src"
    );
    let expected: BTreeSet<&str> = [
        "INVALID_REQUEST",
        "INVALID_CUSTOM_USER_ID",
        "INVALID_OPTIONS",
        "UNAUTHENTICATED",
        "FORBIDDEN",
        "METHOD_NOT_ALLOWED",
        "PAYLOAD_TOO_LARGE",
        "UNSUPPORTED_MEDIA_TYPE",
        "INTERNAL",
    ]
    .into_iter()
    .collect();
    assert_eq!(
        produced, expected,
        "a code was added or removed: update openapi.yaml"
    );
}

/// Each error response narrows `code` to the codes of its status, and every
/// code with a status an operation documents can be told apart.
#[test]
fn each_error_response_holds_the_codes_of_its_status() {
    let spec = Spec::load();
    let statuses = code_statuses();
    for (path, method) in OPERATIONS {
        let responses = ["paths", path, method, "responses"];
        for status in spec.keys(&responses) {
            let code: u16 = status.parse().expect("numeric status");
            if code < 400 {
                continue;
            }
            let mut at = responses.to_vec();
            at.push(status);
            let target = spec.resolve(&at);
            let schema: Vec<&str> = strs(&target)
                .into_iter()
                .chain(["content", "application/json", "schema"])
                .collect();
            let mut narrowed = schema.clone();
            narrowed.extend(["allOf", "-", "properties", "code", "enum"]);
            let codes = spec.items(&narrowed);
            assert!(
                !codes.is_empty(),
                "{method} {path} {status}: code not narrowed"
            );
            for c in codes {
                assert_eq!(
                    statuses.get(c),
                    Some(&code),
                    "{method} {path} {status}: {c} is not a {status} code"
                );
            }
            let mut base = schema;
            base.extend(["allOf", "-", "$ref"]);
            assert_eq!(spec.get(&base), "#/components/schemas/Error");
        }
    }
}

#[test]
fn operations_document_the_statuses_they_return() {
    let spec = Spec::load();
    let paths: BTreeSet<&str> = spec.keys(&["paths"]);
    assert_eq!(
        paths,
        ["/createTicket", "/getClientIP", "/getUserInfo"]
            .into_iter()
            .collect()
    );
    let expect = |path, method, statuses: &[&str]| {
        let got = spec.keys(&["paths", path, method, "responses"]);
        assert_eq!(got, statuses.iter().copied().collect(), "{method} {path}");
    };
    expect(
        "/createTicket",
        "post",
        &["200", "400", "401", "403", "405", "413", "415", "500"],
    );
    for method in ["get", "post"] {
        expect("/getUserInfo", method, &["200", "400", "401", "405", "413"]);
        expect("/getClientIP", method, &["200", "400", "405", "413"]);
    }
    for (path, methods) in [
        ("/createTicket", vec!["post"]),
        ("/getUserInfo", vec!["get", "post"]),
        ("/getClientIP", vec!["get", "post"]),
    ] {
        assert_eq!(
            spec.keys(&["paths", path]),
            methods.into_iter().collect(),
            "{path}"
        );
    }
}

#[test]
fn every_response_has_cache_control_and_401_www_authenticate() {
    let spec = Spec::load();
    assert_eq!(
        spec.items(&["components", "headers", "CacheControl", "schema", "enum"]),
        ["no-store"]
    );
    assert_eq!(
        spec.items(&["components", "headers", "WwwAuthenticate", "schema", "enum"]),
        ["Bearer"]
    );
    for (path, method) in OPERATIONS {
        let responses = ["paths", path, method, "responses"];
        for status in spec.keys(&responses) {
            let mut at = responses.to_vec();
            at.push(status);
            let target = spec.resolve(&at);
            let mut headers = strs(&target);
            headers.push("headers");
            let mut cache = headers.clone();
            cache.extend(["Cache-Control", "$ref"]);
            assert_eq!(
                spec.get(&cache),
                "#/components/headers/CacheControl",
                "{method} {path} {status}"
            );
            if status == "401" {
                let mut www = headers.clone();
                www.extend(["WWW-Authenticate", "$ref"]);
                assert_eq!(spec.get(&www), "#/components/headers/WwwAuthenticate");
            }
        }
    }
    // The error body the code writes has exactly the documented fields.
    let response = ApiError::Unauthorized("x".into()).into_response("req-1");
    assert_eq!(response.headers()["cache-control"], "no-store");
    assert_eq!(response.headers()["www-authenticate"], "Bearer");
    let body = body_json(response.body());
    let fields: BTreeSet<&str> = body
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        fields,
        spec.keys(&["components", "schemas", "Error", "properties"])
    );
    assert_eq!(
        fields,
        spec.items(&["components", "schemas", "Error", "required"])
            .into_iter()
            .collect()
    );
}

#[test]
fn allow_headers_list_the_documented_methods_and_the_codes() {
    let spec = Spec::load();
    // The `Allow` value each path's 405 documents is its methods.
    let mut documented = BTreeSet::new();
    for (path, method) in OPERATIONS {
        let target = spec.deref(&["paths", path, method, "responses", "405"]);
        let mut allow = strs(&target);
        allow.extend(["headers", "Allow"]);
        let header = spec.deref(&allow);
        let mut values = strs(&header);
        values.extend(["schema", "enum"]);
        let values = spec.items(&values);
        assert_eq!(values.len(), 1, "{path}: one Allow value");
        let methods: BTreeSet<String> = spec
            .keys(&["paths", path])
            .into_iter()
            .map(str::to_uppercase)
            .collect();
        let listed: BTreeSet<String> = values[0].split(", ").map(str::to_owned).collect();
        assert_eq!(listed, methods, "{path}: Allow vs documented methods");
        documented.insert(values[0].to_owned());
    }
    // ...and the values the functions answer a 405 with.
    let used: BTreeSet<String> = [CreateTicket::ALLOW, GetUserInfo::ALLOW, GetClientIp::ALLOW]
        .into_iter()
        .map(str::to_owned)
        .collect();
    assert_eq!(
        used, documented,
        "Allow values of the functions vs openapi.yaml"
    );
}

#[test]
fn custom_user_id_pattern_is_the_rule() {
    let spec = Spec::load();
    let schema = ["components", "schemas", "CustomUserId"];
    let pattern = spec.get(&[schema[0], schema[1], schema[2], "pattern"]);
    assert_eq!(pattern, RULE);
    let user_id_rs =
        std::fs::read_to_string(root().join("shared/core/src/user_id.rs")).expect("user_id.rs");
    assert!(
        user_id_rs.contains(&format!("`{RULE}`")),
        "user_id.rs no longer quotes the rule the spec uses"
    );
    assert_eq!(
        spec.get(&[schema[0], schema[1], schema[2], "minLength"]),
        MIN_LEN.to_string()
    );
    assert_eq!(
        spec.get(&[schema[0], schema[1], schema[2], "maxLength"]),
        MAX_LEN.to_string()
    );

    // The pattern, as a validator reads it, accepts exactly what the code accepts.
    let re = Regex::new(pattern).expect("the pattern compiles");
    let agree = |s: &str| {
        assert_eq!(
            re.is_match(s),
            CustomUserId::parse(s).is_ok(),
            "pattern and CustomUserId disagree on {s:?}"
        );
    };
    for c in (0u32..=0x2FF)
        .chain([0x3000, 0xFF21, 0x1F600])
        .filter_map(char::from_u32)
    {
        for len in [1, 3, 4, 5, 32, 33] {
            agree(&c.to_string().repeat(len));
            agree(&format!("abc{}", c.to_string().repeat(len.min(29))));
        }
        agree(&format!("abcd{c}"));
        agree(&format!("{c}abcd"));
    }
    for s in ["", "abcd\n", "abcd\r\n", "\nabcd", "ab\u{0}cd"] {
        agree(s);
    }
    let fixtures: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("tests/fixtures/custom-user-ids.json"))
            .expect("custom-user-ids.json"),
    )
    .expect("JSON");
    for case in fixtures.as_array().expect("array") {
        let uid = case["uid"].as_str().expect("uid");
        assert_eq!(
            re.is_match(uid),
            case["valid"].as_bool() == Some(true),
            "fixture {uid:?}"
        );
        agree(uid);
    }

    // Every customUserId the spec carries is this schema (or, for the
    // anonymous user, "").
    for (at, path) in [
        (
            "request",
            vec!["CreateTicketRequest", "properties", "customUserId", "$ref"],
        ),
        (
            "ticket",
            vec!["CreateTicketResponse", "properties", "customUserId", "$ref"],
        ),
        (
            "user",
            vec!["VerifiedUserInfo", "properties", "customUserId", "$ref"],
        ),
    ] {
        let mut full = vec!["components", "schemas"];
        full.extend(path);
        assert_eq!(spec.get(&full), "#/components/schemas/CustomUserId", "{at}");
    }
}

#[test]
fn integers_and_body_limit_are_the_codes() {
    let spec = Spec::load();
    let ms = ["components", "schemas", "Milliseconds"];
    assert_eq!(spec.get(&[ms[0], ms[1], ms[2], "type"]), "integer");
    assert_eq!(spec.get(&[ms[0], ms[1], ms[2], "format"]), "int64");
    assert_eq!(spec.get(&[ms[0], ms[1], ms[2], "minimum"]), "1");
    assert_eq!(
        spec.get(&[ms[0], ms[1], ms[2], "maximum"]),
        MAX_SAFE_INTEGER.to_string()
    );
    assert!(
        spec.get(&["components", "responses", "PayloadTooLarge", "description"])
            .contains(&MAX_BODY_BYTES.to_string()),
        "PayloadTooLarge names the limit"
    );
    let request = ["components", "schemas", "CreateTicketRequest"];
    assert_eq!(
        spec.get(&[request[0], request[1], request[2], "additionalProperties"]),
        "false"
    );
    assert_eq!(
        spec.keys(&[request[0], request[1], request[2], "properties"]),
        ["customUserId", "expire", "refresh"].into_iter().collect()
    );
}

#[test]
fn user_info_fields_are_the_sdks() {
    let spec = Spec::load();
    let value = serde_json::to_value(UserInfo::default()).expect("serialize");
    let fields: BTreeSet<&str> = value
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    for schema in ["VerifiedUserInfo", "AnonymousUserInfo"] {
        let at = ["components", "schemas", schema];
        assert_eq!(
            spec.keys(&[at[0], at[1], at[2], "properties"]),
            fields,
            "{schema}"
        );
        assert_eq!(
            spec.items(&[at[0], at[1], at[2], "required"])
                .into_iter()
                .collect::<BTreeSet<_>>(),
            fields,
            "{schema}"
        );
        assert_eq!(
            spec.get(&[at[0], at[1], at[2], "additionalProperties"]),
            "false"
        );
    }
}

#[test]
fn every_ref_resolves_and_every_scheme_is_used() {
    let spec = Spec::load();
    let mut refs = 0;
    for e in &spec.entries {
        if e.path.last().is_some_and(|k| k == "$ref") {
            let target = e
                .value
                .strip_prefix("#/")
                .unwrap_or_else(|| panic!("non-local $ref {}", e.value));
            let parts: Vec<&str> = target.split('/').collect();
            assert!(
                spec.has(&parts),
                "{:?}: $ref {} does not resolve",
                e.path,
                e.value
            );
            refs += 1;
        }
    }
    assert!(refs > 20, "the outline found only {refs} $refs");
    let schemes = spec.keys(&["components", "securitySchemes"]);
    assert_eq!(
        schemes,
        ["apiKeyBearer", "apiKeyHeader", "jwtBearer"]
            .into_iter()
            .collect()
    );
    let mut used = BTreeSet::new();
    for (path, method) in OPERATIONS {
        used.extend(spec.keys(&["paths", path, method, "security", "-"]));
    }
    assert_eq!(used, schemes);
    assert!(
        spec.has(&["paths", "/getClientIP", "get", "security"])
            && spec
                .keys(&["paths", "/getClientIP", "get", "security"])
                .is_empty(),
        "getClientIP is public: security: []"
    );
}

#[test]
fn outline_reads_the_styles_the_spec_uses() {
    let spec = Spec::parse(
        "a:\n  b: 'x: y'\n  c: [p, 'q, r']\n  d: |\n    text: ignored\n\n    - ignored\n  e:\n    - f: 1\n      g:\n        - h\n    - i\n",
    );
    assert_eq!(spec.get(&["a", "b"]), "x: y");
    assert_eq!(spec.items(&["a", "c"]), ["p", "q, r"]);
    assert_eq!(spec.get(&["a", "d"]), "");
    assert_eq!(spec.get(&["a", "e", "-", "f"]), "1");
    assert_eq!(spec.items(&["a", "e", "-", "g"]), ["h"]);
    assert_eq!(spec.items(&["a", "e"]), ["i"]);
    assert_eq!(
        spec.keys(&["a"]),
        ["b", "c", "d", "e"].into_iter().collect()
    );
}
