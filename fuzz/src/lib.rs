//! Fuzz target bodies, for the targets of `fuzz/fuzz_targets` (cargo-fuzz)
//! and `shared/tests/fuzz_corpus.rs` (the corpus replayed by `cargo test` on
//! stable Rust, without a fuzzer, which includes this file as a module).
//!
//! Not part of the API. Each function takes arbitrary bytes, returns quietly
//! when they are uninteresting, and panics only when the code under test
//! panics or one of the invariants written next to it breaks. Fixtures (the
//! throwaway test keys under `tests/fixtures/keys`) are the embedded
//! [`fixtures`](customauth_testkit::fixtures) constants, built once, so a run does no file
//! I/O.
//!
//! | target             | feeds                                             | beyond "no panic"                                                    |
//! |--------------------|---------------------------------------------------|----------------------------------------------------------------------|
//! | [`user_id`]        | [`CustomUserId::parse`]                           | accepted exactly per the SDK rule; errors describe, never echo       |
//! | [`credentials_json`] | [`Credentials::from_json`], then the key parser | no key material in errors or `Debug`; `to_json` round-trips          |
//! | [`verify_ticket`]  | [`TicketVerifier::verify`]                        | nothing verifies but the SDK vectors' own tickets                   |
//! | [`bearer_jwt`]     | [`CallerAuth::authenticate`] in jwt mode          | no token authenticates (HS256 secret, RS256 PEM, JWKS)               |
//! | [`request`]        | a Lambda event through the three functions' services | never a 5xx; every ticket issued verifies                         |

use std::sync::{Arc, LazyLock};

use lambda_http::http::{HeaderValue, Method, StatusCode, header};
use lambda_http::{Body, Context, Request, RequestExt as _, Response};
use serde_json::Value;

use customauth::api::INVALID_EVENT_MARKER;
use customauth::client_ip::TrustedProxies;
use customauth::credentials::{Credentials, CredentialsError};
use customauth::function::service;
use customauth::handlers::{CreateTicket, GetClientIp, GetUserInfo};
use customauth::identity::{
    CallerAuth, VAR_CALLER_AUTH, VAR_JWT_ALLOW_ANY_AUDIENCE, VAR_JWT_AUDIENCE, VAR_JWT_ISSUER,
    VAR_JWT_JWKS, VAR_JWT_PUBLIC_KEY, VAR_JWT_SECRET,
};
use customauth::key::{KeyError, MIN_BITS, SigningKey};
use customauth::server::http::DEFAULT_BODY_TIMEOUT;
use customauth::signer::SignerHandle;
use customauth::ticket::{Limits, TicketSigner, TicketVerifier};
use customauth::user_id::{CustomUserId, InvalidUserId, MAX_LEN, MIN_LEN, is_allowed_byte};
use tower::ServiceExt as _;
use tower::util::BoxCloneSyncService;

use customauth_testkit::fixtures::TICKETS;
use customauth_testkit::fixtures::keys::{JWKS, K2048_PKCS1, K2048_PUBLIC};

/// `origin` passed to [`Credentials::from_json`].
const ORIGIN: &str = "fuzz input";

/// An environment of fixed variables, for the `from_env` constructors.
fn env_of(vars: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
    move |name| {
        vars.iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| (*v).to_owned())
    }
}

/// The strings of `len` characters that start at each character of `s`.
fn char_runs(s: &str, len: usize) -> impl Iterator<Item = &str> {
    let starts: Vec<usize> = s.char_indices().map(|(i, _)| i).chain([s.len()]).collect();
    let count = starts.len().saturating_sub(len);
    (0..count).map(move |k| &s[starts[k]..starts[k + len]])
}

// ---------------------------------------------------------------------------
// user_id

/// [`CustomUserId::parse`] on UTF-8 input.
///
/// Accepted exactly when the input is 4 to 32 characters from the allowed
/// set (and then kept verbatim); `TryFrom<String>` and serde agree. A refusal
/// reports the true length, or the first character not allowed and its
/// position, and its message never contains an input longer than 8
/// characters, except where the input is itself part of the message's fixed
/// wording (`"customUserId may only"` is refused for its space, and the
/// message does contain it): such an input appears equally in the message
/// for a twin input of the same length and offending character.
pub fn user_id(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let chars = text.chars().count();
    let valid = (MIN_LEN..=MAX_LEN).contains(&chars) && text.bytes().all(is_allowed_byte);
    let parsed = CustomUserId::parse(text);
    assert_eq!(
        CustomUserId::try_from(text.to_owned()).is_ok(),
        parsed.is_ok(),
        "TryFrom<String> and parse disagree"
    );
    assert_eq!(
        serde_json::from_value::<CustomUserId>(Value::String(text.to_owned())).is_ok(),
        parsed.is_ok(),
        "Deserialize and parse disagree"
    );
    let err = match parsed {
        Ok(id) => {
            assert!(valid, "accepted an id outside the rule: {text:?}");
            assert_eq!(id.as_str(), text, "an accepted id is kept verbatim");
            return;
        }
        Err(err) => err,
    };
    assert!(!valid, "refused an id the rule allows: {text:?} ({err})");
    let twin = match &err {
        InvalidUserId::Length { len } => {
            assert_eq!(*len, chars, "reported length");
            "a".repeat(*len)
        }
        InvalidUserId::Character { position, found } => {
            let (index, bad) = text
                .chars()
                .enumerate()
                .find(|(_, c)| !u8::try_from(*c).is_ok_and(is_allowed_byte))
                .expect("a refused id of valid length has a character not allowed");
            assert_eq!(*position, index + 1, "reported position");
            assert_eq!(*found, format!("{bad:?}"), "reported character");
            let mut twin = "a".repeat(index);
            twin.push(bad);
            twin.push_str(&"a".repeat(chars - index - 1));
            twin
        }
    };
    let message = err.to_string();
    if chars > 8 && message.contains(text) {
        let twin_message = CustomUserId::parse(&twin)
            .expect_err("the twin breaks the rule the same way")
            .to_string();
        assert!(
            twin != text && twin_message.contains(text),
            "the error message echoes the input: {message:?}"
        );
    }
}

// ---------------------------------------------------------------------------
// credentials_json

/// [`Credentials::from_json`] on UTF-8 input, then the key parser
/// ([`TicketSigner::from_credentials`]) on what it accepts.
///
/// When the text parses as a JSON object with a `private_key` string, a
/// refusal's message contains no run of 8 or more of its characters (digits
/// aside, beyond the fixed wording of the error), and accepted credentials
/// hold exactly what `serde_json` reads in the fields (the ids trimmed, the
/// key with literal `\n` and `\r\n` turned into newlines). Accepted
/// credentials are non-blank, their `Debug` does not depend on the key, and
/// `to_json` reads back the same. A key refused as a PEM block of another
/// kind names only (a prefix of) its label; an accepted key has 1024 to 8192
/// bits.
pub fn credentials_json(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // The reference for what the fields hold.
    let value = serde_json::from_str::<Value>(text).ok();
    let field = |name| value.as_ref()?.get(name)?.as_str();
    match Credentials::from_json(text, ORIGIN) {
        Ok(credentials) => {
            if let (Some(key_id), Some(key), Some(env_id)) = (
                field("private_key_id"),
                field("private_key"),
                field("env_id"),
            ) {
                assert_eq!(credentials.key_id(), key_id.trim(), "private_key_id");
                assert_eq!(credentials.env_id(), env_id.trim(), "env_id");
                let expected = key.replace("\\r\\n", "\n").replace("\\n", "\n");
                assert_eq!(credentials.private_key_pem(), expected, "private_key");
            }
            accepted_credentials(&credentials);
        }
        Err(err) => {
            let Some(key) = field("private_key") else {
                return;
            };
            let message = err.to_string();
            let wording = mask_digits(&fixed_wording(&err));
            for run in char_runs(key, 8) {
                assert!(
                    !message.contains(run) || wording.contains(&mask_digits(run)),
                    "the error message quotes the private key: {message:?}"
                );
            }
        }
    }
}

fn mask_digits(s: &str) -> String {
    s.replace(|c: char| c.is_ascii_digit(), "0")
}

/// What the message of a [`Credentials::from_json`] error says whatever the
/// input: the same variant rebuilt from its fields that carry no input text.
fn fixed_wording(err: &CredentialsError) -> String {
    let origin = ORIGIN.to_owned();
    let rebuilt = match err {
        CredentialsError::Json {
            origin: o,
            line: _,
            column: _,
        } => {
            assert_eq!(o, ORIGIN, "origin");
            CredentialsError::Json {
                origin,
                line: 0,
                column: 0,
            }
        }
        CredentialsError::NotObject { origin: o } => {
            assert_eq!(o, ORIGIN, "origin");
            CredentialsError::NotObject { origin }
        }
        CredentialsError::Field { origin: o, field } => {
            assert_eq!(o, ORIGIN, "origin");
            CredentialsError::Field { origin, field }
        }
        other => panic!("from_json returned an error it does not document: {other}"),
    };
    rebuilt.to_string()
}

fn accepted_credentials(credentials: &Credentials) {
    for (field, value) in [
        ("private_key_id", credentials.key_id()),
        ("env_id", credentials.env_id()),
    ] {
        assert!(
            !value.is_empty() && value.trim() == value,
            "{field} accepted blank or untrimmed: {value:?}"
        );
    }
    let key = credentials.private_key_pem();
    assert!(!key.trim().is_empty(), "private_key accepted blank");

    let twin = Credentials::from_parts(credentials.key_id(), "x", credentials.env_id(), ORIGIN)
        .expect("the same fields with a placeholder key");
    assert_eq!(
        format!("{credentials:?}"),
        format!("{twin:?}"),
        "Debug shows the private key"
    );

    let again =
        Credentials::from_json(&credentials.to_json(), ORIGIN).expect("to_json output reads back");
    assert_eq!(again.key_id(), credentials.key_id(), "key id round trip");
    assert_eq!(again.env_id(), credentials.env_id(), "env id round trip");
    assert_eq!(again.private_key_pem(), key, "private key round trip");

    match TicketSigner::from_credentials(credentials) {
        Ok(signer) => {
            let bits = signer.key().bits();
            assert!(
                (MIN_BITS..=8192).contains(&bits),
                "accepted a {bits}-bit key"
            );
        }
        Err(KeyError::UnsupportedPem { tag }) => {
            assert!(
                tag.chars().count() <= 40,
                "PEM label not truncated: {tag:?}"
            );
            assert!(
                key.contains(&format!("-----BEGIN {tag}")),
                "UnsupportedPem carries more than the PEM label: {tag:?}"
            );
        }
        Err(_) => {}
    }
}

// ---------------------------------------------------------------------------
// verify_ticket

struct TicketFixture {
    verifier: TicketVerifier,
    /// The SDK vectors' clock, at which their tickets are valid.
    now_ms: u64,
    /// The tickets that verify, with their uid.
    valid: Vec<(String, String)>,
}

/// A verifier for the key id, env and key (2048-bit PKCS#1) of the first SDK
/// vector of `tests/fixtures/tickets.json`, at its clock, and the vectors
/// that verify there (those made with the same key at the same time).
static TICKETS_FIXTURE: LazyLock<TicketFixture> = LazyLock::new(|| {
    let vectors: Vec<Value> = serde_json::from_str(TICKETS).expect("tickets.json parses");
    let field = |vector: &Value, name: &str| {
        vector[name]
            .as_str()
            .unwrap_or_else(|| panic!("tickets.json: {name}"))
            .to_owned()
    };
    let first = &vectors[0];
    assert_eq!(
        first["key"], "k2048-pkcs1.pem",
        "the fixture's first vector"
    );
    let key = SigningKey::from_pem(K2048_PKCS1).expect("fixture key parses");
    let verifier = TicketSigner::new(field(first, "kid"), field(first, "env"), key).verifier();
    let now_ms = first["now"].as_u64().expect("tickets.json: now");
    let valid: Vec<(String, String)> = vectors
        .iter()
        .filter(|v| v["key"] == first["key"] && v["kid"] == first["kid"] && v["now"] == now_ms)
        .map(|v| (field(v, "ticket"), field(v, "uid")))
        .collect();
    for (ticket, _) in &valid {
        verifier
            .verify(ticket, now_ms)
            .expect("the SDK vector verifies");
    }
    TicketFixture {
        verifier,
        now_ms,
        valid,
    }
});

/// [`TicketVerifier::verify`] on any string (invalid UTF-8 replaced).
///
/// Never succeeds but for an SDK vector's own ticket, byte for byte: a
/// fuzzer cannot forge RS256, so anything else that verifies is a hole in
/// the checks before the signature or in the signature check itself.
pub fn verify_ticket(data: &[u8]) {
    let ticket = String::from_utf8_lossy(data);
    let fixture = &*TICKETS_FIXTURE;
    if let Ok(claims) = fixture.verifier.verify(&ticket, fixture.now_ms) {
        let Some((_, uid)) = fixture.valid.iter().find(|(t, _)| *t == ticket) else {
            panic!("a ticket other than the SDK vectors' verified: {ticket:?}");
        };
        assert_eq!(claims.uid.as_str(), uid, "the vector's uid");
        assert!(
            fixture.verifier.verify(&ticket, u64::MAX).is_err(),
            "a ticket verified at the end of time"
        );
    }
}

// ---------------------------------------------------------------------------
// bearer_jwt

/// Shared secret of the HS256 configuration (at least 32 bytes).
const HS256_SECRET: &str = "fuzzing-hs256-secret-not-for-use-0123456789";

/// jwt mode with each kind of key: an HS256 secret (with issuer and audience
/// required), an RS256 PEM public key, and a JWKS (RS256 and ES256 keys).
static JWT_AUTHS: LazyLock<[(&str, CallerAuth); 3]> = LazyLock::new(|| {
    let auth = |vars: &'static [(&'static str, &'static str)]| {
        CallerAuth::from_env(&env_of(vars)).expect("jwt configuration")
    };
    [
        (
            "HS256 secret",
            auth(&[
                (VAR_CALLER_AUTH, "jwt"),
                (VAR_JWT_SECRET, HS256_SECRET),
                (VAR_JWT_ISSUER, "https://issuer.example/"),
                (VAR_JWT_AUDIENCE, "customauth"),
            ]),
        ),
        (
            "RS256 PEM",
            auth(&[
                (VAR_CALLER_AUTH, "jwt"),
                (VAR_JWT_PUBLIC_KEY, K2048_PUBLIC),
                (VAR_JWT_ALLOW_ANY_AUDIENCE, "1"),
            ]),
        ),
        (
            "JWKS",
            auth(&[
                (VAR_CALLER_AUTH, "jwt"),
                (VAR_JWT_JWKS, JWKS),
                (VAR_JWT_ALLOW_ANY_AUDIENCE, "1"),
            ]),
        ),
    ]
});

/// A request with `Authorization: Bearer <data>` (when that is a valid
/// header value) through [`CallerAuth::authenticate`] in jwt mode, with
/// each kind of key: never authenticates.
pub fn bearer_jwt(data: &[u8]) {
    let mut value = b"Bearer ".to_vec();
    value.extend_from_slice(data);
    let Ok(value) = HeaderValue::from_bytes(&value) else {
        return;
    };
    let request = lambda_http::http::Request::builder()
        .method(Method::POST)
        .uri("/createTicket")
        .header(header::AUTHORIZATION, value)
        .body(Body::Empty)
        .expect("a request with a valid header value builds");
    for (keys, auth) in JWT_AUTHS.iter() {
        if let Ok(caller) = auth.authenticate(&request) {
            panic!("{keys}: a fuzzed bearer token authenticated as {caller:?}");
        }
    }
}

// ---------------------------------------------------------------------------
// request

type FunctionService = BoxCloneSyncService<Request, Response<Body>, std::convert::Infallible>;

struct Functions {
    runtime: tokio::runtime::Runtime,
    /// createTicket and a verifier for the tickets it signs.
    create_ticket: (FunctionService, TicketVerifier),
    get_user_info: FunctionService,
    get_client_ip: FunctionService,
}

impl Functions {
    /// What `function` (its whole service: method check, identity layer,
    /// handler) answers to `request`.
    fn answer(&self, function: &FunctionService, request: Request) -> Response<Body> {
        match self.runtime.block_on(function.clone().oneshot(request)) {
            Ok(response) => response,
            Err(never) => match never {},
        }
    }
}

/// The three functions in gateway mode (the identity is whatever authorizer
/// context the event carries, so a fuzzer reaches signing), getClientIP
/// behind trusted proxies, on a current-thread runtime.
static FUNCTIONS: LazyLock<Functions> = LazyLock::new(|| {
    let gateway =
        || CallerAuth::from_env(&env_of(&[(VAR_CALLER_AUTH, "gateway")])).expect("gateway mode");
    Functions {
        runtime: tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .expect("a current-thread runtime"),
        create_ticket: {
            let key = SigningKey::from_pem(K2048_PKCS1).expect("fixture key parses");
            let signer = TicketSigner::new("fuzz-kid", "fuzz-env", key);
            let verifier = signer.verifier();
            let handler = CreateTicket::new(
                SignerHandle::fixed(signer),
                gateway(),
                Limits::default(),
                TrustedProxies::none(),
            );
            (service(Arc::new(handler), DEFAULT_BODY_TIMEOUT), verifier)
        },
        get_user_info: service(
            Arc::new(
                GetUserInfo::new(gateway(), TrustedProxies::none())
                    .expect("gateway mode serves getUserInfo"),
            ),
            DEFAULT_BODY_TIMEOUT,
        ),
        get_client_ip: service(
            Arc::new(GetClientIp::new(
                TrustedProxies::parse("10.0.0.0/8, 130.176.0.0/16, 2001:db8::/32")
                    .expect("trusted proxies"),
            )),
            DEFAULT_BODY_TIMEOUT,
        ),
    }
});

/// Arbitrary bytes as a Lambda event, the way the Lambda adapter
/// (`server::serve_lambda`) takes them: JSON, [`prepare_event`], then
/// lambda_http's `LambdaRequest`; events it refuses end there (an invocation
/// error, not a response). The request then goes to createTicket,
/// getUserInfo and getClientIP, each through its whole service
/// ([`customauth::function::service`]).
///
/// Never a panic and never a 5xx; every answer is a JSON body. A ticket that
/// createTicket issues verifies, for the customUserId it reports; a user
/// getUserInfo reports has a valid customUserId; getClientIP's address is
/// empty or an IP address.
///
/// [`prepare_event`]: customauth::server::prepare_event
pub fn request(data: &[u8]) {
    let Ok(event) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let functions = &*FUNCTIONS;
    // As the Lambda adapter does: prepare_event (sanitize, prove the
    // conversion cannot panic), then lambda_http's conversion. The event is
    // prepared once per handler: a LambdaRequest cannot be cloned.
    let prepare =
        || allowing_caught_panics(|| customauth::server::prepare_event(event.clone())).ok();
    let Some(first) = prepare() else {
        return;
    };
    let mut first = Some(first);
    let mut next_request = || {
        let prepared = first
            .take()
            .or_else(prepare)
            .expect("the event was accepted before");
        Request::from(prepared).with_lambda_context(Context::default())
    };

    {
        let (create_ticket, verifier) = &functions.create_ticket;
        let request = next_request();
        let marked_invalid = request.headers().contains_key(INVALID_EVENT_MARKER);
        let response = functions.answer(create_ticket, request);
        let body = json_answer("createTicket", &response);
        if response.status() == StatusCode::OK {
            assert!(
                !marked_invalid,
                "createTicket: a ticket for an event the adapter marked invalid"
            );
            let ticket = body["ticket"].as_str().expect("createTicket: ticket");
            let claims = verifier
                .verify(ticket, customauth::now_ms())
                .expect("createTicket: the ticket issued verifies");
            assert_eq!(
                body["customUserId"],
                claims.uid.as_str(),
                "createTicket: customUserId is the ticket's uid"
            );
        }
    }

    let response = functions.answer(&functions.get_user_info, next_request());
    let body = json_answer("getUserInfo", &response);
    if response.status() == StatusCode::OK {
        let id = body["customUserId"].as_str().unwrap_or_default();
        assert!(
            CustomUserId::parse(id).is_ok(),
            "getUserInfo: customUserId {id:?} is not valid"
        );
        assert_eq!(body["isAnonymous"], false, "getUserInfo: isAnonymous");
    }

    let response = functions.answer(&functions.get_client_ip, next_request());
    let body = json_answer("getClientIp", &response);
    if response.status() == StatusCode::OK {
        let ip = body["ip"].as_str().expect("getClientIp: ip");
        assert!(
            ip.is_empty() || ip.parse::<std::net::IpAddr>().is_ok(),
            "getClientIp: {ip:?} is not an address"
        );
    }
}

/// Runs `f`, in which panics that `f` itself catches are expected (the
/// adapter's trial conversion), without the fuzzer's panic hook: libFuzzer
/// (libfuzzer-sys) aborts on every panic, caught or not, where production
/// unwinds to the `catch_unwind`. A panic that escapes `f` is reported (its
/// message printed) and resumed, so it still fails the target.
fn allowing_caught_panics<T>(f: impl FnOnce() -> T) -> T {
    thread_local! {
        static LAST_PANIC: std::cell::Cell<Option<String>> = const { std::cell::Cell::new(None) };
    }
    let hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(|info| {
        LAST_PANIC.set(Some(info.to_string()));
    }));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    std::panic::set_hook(hook);
    result.unwrap_or_else(|payload| {
        if let Some(message) = LAST_PANIC.take() {
            eprintln!("{message}");
        }
        std::panic::resume_unwind(payload)
    })
}

/// The JSON body of a response that must not be a 5xx.
fn json_answer(function: &str, response: &Response<Body>) -> Value {
    let status = response.status();
    assert!(
        !status.is_server_error(),
        "{function} answered {status} to a fuzzed event"
    );
    let Body::Text(text) = response.body() else {
        panic!("{function}: the body is not text");
    };
    serde_json::from_str(text)
        .unwrap_or_else(|e| panic!("{function}: the body is not JSON ({e}): {text:?}"))
}
