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
use customauth::api::{ApiError, MAX_BODY_BYTES};
use customauth::function::Function as _;
use customauth::handlers::{CreateTicket, GetClientIp, GetUserInfo};
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

mod code;
mod outline;

use code::*;
use outline::*;

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
        "REQUEST_TIMEOUT",
        "PAYLOAD_TOO_LARGE",
        "UNSUPPORTED_MEDIA_TYPE",
        "INTERNAL",
        "UNAVAILABLE",
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
        &[
            // 503: the audit log has no room (the ticket is not signed).
            "200", "400", "401", "403", "405", "408", "413", "415", "500", "503",
        ],
    );
    for method in ["get", "post"] {
        expect(
            "/getUserInfo",
            method,
            &["200", "400", "401", "405", "408", "413", "503"],
        );
        expect("/getClientIP", method, &["200", "400", "405", "408", "413"]);
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
        [
            "apiKeyBearer",
            "apiKeyHeader",
            "cloudbaseBearer",
            "cloudbaseCredentials",
            "jwtBearer"
        ]
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
