//! Part 1: what `Debug`, `Display` and error messages show of a secret.

use super::*;

#[test]
fn credentials_debug_hides_the_private_key() {
    let secrets = with_pem(KEY_PKCS8, &[]);
    let from_json = Credentials::from_json(&credentials_json(KEY_PKCS8), "test").expect("parses");
    assert_debug_hides("Credentials (JSON)", &from_json, &secrets);
    assert!(format!("{from_json:?}").contains("[redacted]"));
    let escaped = KEY_PKCS8.replace('\n', "\\n");
    let from_parts = Credentials::from_parts("kid-h", &escaped, "env-h", "test").expect("parts");
    assert_debug_hides("Credentials (parts)", &from_parts, &secrets);
    assert_debug_hides("Credentials (clone)", &from_parts.clone(), &secrets);
}

#[test]
fn credentials_source_debug_hides_inline_and_split_keys() {
    let json = credentials_json(KEY_PKCS8);
    let secrets = with_pem(KEY_PKCS8, &[&json]);
    let inline = CredentialsSource::from_env(env(&[(VAR_INLINE, &json)])).expect("inline");
    assert!(matches!(inline, CredentialsSource::Inline(_)));
    assert_debug_hides("CredentialsSource::Inline", &inline, &secrets);
    let escaped = KEY_PKCS8.replace('\n', "\\n");
    let split = CredentialsSource::from_env(env(&[
        (VAR_SPLIT_KEY_ID, "kid-h"),
        (VAR_SPLIT_KEY, &escaped),
        (VAR_SPLIT_ENV_ID, "env-h"),
    ]))
    .expect("split");
    assert!(matches!(split, CredentialsSource::Split(_)));
    assert_debug_hides(
        "CredentialsSource::Split",
        &split,
        &with_pem(KEY_PKCS8, &[&escaped]),
    );
    for other in [
        CredentialsSource::File("/run/secrets/c.json".into()),
        CredentialsSource::SecretsManager("prod/customauth".into()),
        CredentialsSource::SsmParameter("/prod/customauth".into()),
    ] {
        assert_debug_hides("CredentialsSource", &other, &secrets);
    }
}

#[test]
fn signing_key_debug_hides_key_material() {
    for pem in [KEY_PKCS8, KEY_PKCS1, KEY_1024] {
        let key = SigningKey::from_pem(pem).expect("parses");
        assert_debug_hides("SigningKey", &key, &with_pem(pem, &[]));
        let pkcs8 = key.to_pkcs8_pem().expect("encodes");
        assert_debug_hides("SigningKey", &key, &with_pem(&pkcs8, &[]));
    }
}

#[test]
fn ticket_signer_and_verifier_debug_hide_key_material() {
    let key = SigningKey::from_pem(KEY_PKCS8).expect("parses");
    let signer = TicketSigner::new("kid-h", "env-h", key);
    let secrets = with_pem(KEY_PKCS8, &[]);
    assert_debug_hides("TicketSigner", &signer, &secrets);
    assert_debug_hides("TicketVerifier", &signer.verifier(), &secrets);
    let handle = SignerHandle::fixed(signer);
    assert_debug_hides("SignerHandle", &handle, &secrets);
}

#[test]
fn ticket_debug_hides_the_ticket_text() {
    let signer = TicketSigner::new(
        "kid-h",
        "env-h",
        SigningKey::from_pem(KEY_PKCS8).expect("parses"),
    );
    let uid = CustomUserId::parse("user_1234").expect("valid");
    let ticket = signer
        .sign(&uid, TicketOptions::default(), 1_700_000_000_000)
        .expect("signs");
    let text = ticket.as_str().to_owned();
    let (_, jwt) = text.split_once("/@@/").expect("separator");
    let mut parts = jwt.split('.');
    let (_header, payload, signature) = (
        parts.next().expect("header"),
        parts.next().expect("payload"),
        parts.next().expect("signature"),
    );
    // The header is the same in every ticket; the rest is the credential.
    let secrets = vec![text.clone(), payload.to_owned(), signature.to_owned()];
    assert_debug_hides("Ticket", &ticket, &secrets);
    assert_debug_hides("Ticket clone", &ticket.clone(), &secrets);
    assert!(
        format!("{ticket:?}").contains("user_1234"),
        "claims stay visible"
    );
}

#[test]
fn caller_auth_debug_hides_secrets_in_all_four_modes() {
    let secrets: Vec<String> = [JWT_SECRET, API_KEY_1, API_KEY_2]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
    let keys = format!("{API_KEY_1}, {API_KEY_2}");
    let configurations: Vec<Vec<(&str, &str)>> = vec![
        vec![(VAR_CALLER_AUTH, "gateway")],
        vec![(VAR_CALLER_AUTH, "none"), (VAR_ALLOW_INSECURE_NONE, "1")],
        vec![
            (VAR_CALLER_AUTH, "jwt"),
            (VAR_JWT_SECRET, JWT_SECRET),
            ANY_AUDIENCE,
        ],
        vec![
            (VAR_CALLER_AUTH, "jwt"),
            (VAR_JWT_PUBLIC_KEY, RSA_PUBLIC),
            ANY_AUDIENCE,
        ],
        vec![(VAR_CALLER_AUTH, "jwt"), (VAR_JWT_JWKS, JWKS), ANY_AUDIENCE],
        vec![(VAR_CALLER_AUTH, "api-key"), (VAR_API_KEYS, &keys)],
        // Variables of other modes are set but unused: still never shown.
        vec![
            (VAR_CALLER_AUTH, "gateway"),
            (VAR_JWT_SECRET, JWT_SECRET),
            (VAR_API_KEYS, &keys),
        ],
    ];
    for pairs in configurations {
        let auth = caller_auth(&pairs);
        assert_debug_hides(&format!("CallerAuth {pairs:?}"), &auth, &secrets);
    }
}

#[test]
fn aws_fetch_settings_debug_hides_static_credentials() {
    let settings = AwsFetchSettings {
        endpoint_url: Some("http://127.0.0.1:4566".into()),
        region: Some("us-east-1".into()),
        credentials: Some(AwsCredentials::new(
            AWS_ACCESS_KEY_ID,
            AWS_SECRET_KEY,
            Some(AWS_SESSION_TOKEN.to_owned()),
            None,
            "hygiene",
        )),
        connect_timeout: Duration::from_secs(1),
        ..AwsFetchSettings::default()
    };
    let secrets = vec![AWS_SECRET_KEY.to_owned(), AWS_SESSION_TOKEN.to_owned()];
    assert_debug_hides("AwsFetchSettings", &settings, &secrets);
    assert_debug_hides("AwsFetchSettings clone", &settings.clone(), &secrets);
}

#[test]
fn config_errors_from_bad_secret_values_hide_them() {
    // A JWT secret one byte too short.
    let short = &JWT_SECRET[..31];
    let e = config_error(&[(VAR_CALLER_AUTH, "jwt"), (VAR_JWT_SECRET, short)]);
    assert!(
        matches!(
            e,
            ConfigError::Invalid {
                var: VAR_JWT_SECRET,
                ..
            }
        ),
        "{e:?}"
    );
    assert_error_hides("short JWT secret", &e, &[short.to_owned()]);

    // API keys: one short, one with a space, a stray comma.
    for list in [
        format!("{API_KEY_1},short-key-123"),
        format!("{API_KEY_1},{} x", &API_KEY_2[..20]),
        format!("{API_KEY_1},,{API_KEY_2}"),
        format!("{API_KEY_1},{API_KEY_2}\u{7f}"),
    ] {
        let e = config_error(&[(VAR_CALLER_AUTH, "api-key"), (VAR_API_KEYS, &list)]);
        assert!(
            matches!(
                e,
                ConfigError::Invalid {
                    var: VAR_API_KEYS,
                    ..
                }
            ),
            "{e:?}"
        );
        let mut secrets: Vec<String> = list
            .split(',')
            .map(str::trim)
            .filter(|k| k.len() >= 8)
            .map(str::to_owned)
            .collect();
        secrets.push("short-key-123".into());
        assert_error_hides("API key list", &e, &secrets);
    }

    // A private key where the public key belongs (RSA PKCS#1, PKCS#8, EC).
    for pem in [KEY_PKCS1, KEY_PKCS8, EC_PRIVATE] {
        for text in [pem.to_owned(), pem.trim().replace('\n', "\\n")] {
            let e = config_error(&[(VAR_CALLER_AUTH, "jwt"), (VAR_JWT_PUBLIC_KEY, &text)]);
            assert!(matches!(
                e,
                ConfigError::Invalid {
                    var: VAR_JWT_PUBLIC_KEY,
                    ..
                }
            ));
            assert_error_hides("private key as JWT public key", &e, &with_pem(pem, &[]));
        }
    }
    // The HS256 secret put where the PEM or the JWKS belongs.
    for var in [VAR_JWT_PUBLIC_KEY, VAR_JWT_JWKS] {
        let e = config_error(&[(VAR_CALLER_AUTH, "jwt"), (var, JWT_SECRET)]);
        assert_error_hides("secret as a key", &e, &[JWT_SECRET.to_owned()]);
    }
    // A symmetric or private JWK in the JWKS.
    let oct = serde_json::json!({"keys": [{"kty": "oct", "kid": "h", "k": "aHlnaWVuZS1vY3Qta2V5LXNlY3JldC12YWx1ZQ"}]});
    let e = config_error(&[(VAR_CALLER_AUTH, "jwt"), (VAR_JWT_JWKS, &oct.to_string())]);
    assert_error_hides(
        "oct JWK",
        &e,
        &["aHlnaWVuZS1vY3Qta2V5LXNlY3JldC12YWx1ZQ".to_owned()],
    );
    let private_d = "aHlnaWVuZS1wcml2YXRlLWV4cG9uZW50LWQtdmFsdWU";
    let private = serde_json::json!({"keys": [{"kty": "RSA", "kid": "p", "n": "AQAB", "e": "AQAB", "d": private_d}]});
    let e = config_error(&[
        (VAR_CALLER_AUTH, "jwt"),
        (VAR_JWT_JWKS, &private.to_string()),
    ]);
    assert_error_hides("private JWK", &e, &[private_d.to_owned()]);
}

/// A JSON *string* in `CUSTOMAUTH_JWT_JWKS` (the HS256 secret, quoted, in
/// the wrong variable; a double-encoded JWKS holding a private parameter):
/// serde_json's "invalid type: string ..." message quotes it, so the error
/// must not carry that message.
#[test]
fn jwks_error_does_not_echo_a_quoted_secret() {
    let quoted = serde_json::json!(JWT_SECRET).to_string();
    let e = config_error(&[(VAR_CALLER_AUTH, "jwt"), (VAR_JWT_JWKS, &quoted)]);
    assert!(
        matches!(
            e,
            ConfigError::Invalid {
                var: VAR_JWT_JWKS,
                ..
            }
        ),
        "{e:?}"
    );
    assert_error_hides("quoted secret as JWKS", &e, &[JWT_SECRET.to_owned()]);
    let private_d = "aHlnaWVuZS1kb3VibGUtZW5jb2RlZC1wcml2YXRlLWQ";
    let jwks =
        serde_json::json!({"keys": [{"kty": "RSA", "n": "AQAB", "e": "AQAB", "d": private_d}]});
    let double = serde_json::json!(jwks.to_string()).to_string();
    let e = config_error(&[(VAR_CALLER_AUTH, "jwt"), (VAR_JWT_JWKS, &double)]);
    assert_error_hides("double-encoded JWKS", &e, &[private_d.to_owned()]);
    let in_list = serde_json::json!({"keys": [jwks.to_string()]}).to_string();
    let e = config_error(&[(VAR_CALLER_AUTH, "jwt"), (VAR_JWT_JWKS, &in_list)]);
    assert_error_hides("JWK as a string", &e, &[private_d.to_owned()]);
}

#[test]
fn credentials_errors_hide_the_key() {
    let body = pem_body(KEY_PKCS8);
    let secrets = with_pem(KEY_PKCS8, &[]);
    let json = credentials_json(KEY_PKCS8);

    // Broken JSON around a real key, at several places.
    for broken in [
        json.replacen('{', "[", 1),
        json.replacen("\"env_id\"", "env_id", 1),
        json[..json.len() / 2].to_owned(),
        json.replacen("\\n", "\\q", 1),
        json.replacen("\\n", "\n", 1),
    ] {
        let e = Credentials::from_json(&broken, VAR_INLINE).expect_err("broken JSON");
        assert_error_hides("broken credentials JSON", &e, &secrets);
        let source = CredentialsSource::Inline(Zeroizing::new(broken));
        let e = source.load_local().expect_err("broken JSON");
        assert_error_hides("inline source", &e, &secrets);
    }
    // Right JSON, wrong types: the key as a number array, an object.
    for bad in [
        serde_json::json!({"private_key_id": "k", "private_key": [body[1]], "env_id": "e"}),
        serde_json::json!({"private_key_id": KEY_PKCS8, "private_key": 1, "env_id": "e"}),
        serde_json::json!({"private_key_id": "k", "private_key": KEY_PKCS8, "env_id": ""}),
    ] {
        let e = Credentials::from_json(&bad.to_string(), "src").expect_err("refused");
        assert_error_hides("mistyped credentials", &e, &secrets);
    }
    // A broken key in good JSON: body line corrupted, truncated, no header,
    // a public key, an EC key.
    let corrupted = KEY_PKCS8.replacen(body[0], &body[0].replacen("MII", "MIJ", 1), 1);
    let truncated: String = KEY_PKCS8
        .lines()
        .enumerate()
        .filter(|(i, _)| *i != 5)
        .map(|(_, l)| format!("{l}\n"))
        .collect();
    let headerless = body.join("\n");
    for pem in [
        corrupted.as_str(),
        &truncated,
        &headerless,
        RSA_PUBLIC,
        EC_PRIVATE,
    ] {
        let creds = Credentials::from_json(&credentials_json(pem), "test").expect("JSON parses");
        let e = TicketSigner::from_credentials(&creds).expect_err("key refused");
        let e = CredentialsError::Key {
            origin: "test".into(),
            source: e,
        };
        assert_error_hides("broken key", &e, &with_pem(pem, &[]));
        assert_error_hides("broken key", &e, &secrets);
    }
    // Sources: incomplete split form, two sources.
    let escaped = KEY_PKCS8.replace('\n', "\\n");
    let e = CredentialsSource::from_env(env(&[(VAR_SPLIT_KEY, &escaped)])).expect_err("incomplete");
    assert_error_hides("incomplete split", &e, &secrets);
    let e = CredentialsSource::from_env(env(&[(VAR_SPLIT_KEY, &escaped), (VAR_INLINE, &json)]))
        .expect_err("incomplete");
    assert_error_hides("split and inline", &e, &secrets);
    let e = CredentialsSource::from_env(env(&[
        (VAR_SPLIT_KEY_ID, "k"),
        (VAR_SPLIT_KEY, &escaped),
        (VAR_SPLIT_ENV_ID, "e"),
        (VAR_INLINE, &json),
    ]))
    .expect_err("two sources");
    assert_error_hides("two sources", &e, &secrets);
}

#[tokio::test]
async fn create_ticket_state_and_its_errors_hide_secrets() {
    let json = credentials_json(KEY_PKCS8);
    let keys = format!("{API_KEY_1},{API_KEY_2}");
    let secrets = with_pem(KEY_PKCS8, &[JWT_SECRET, API_KEY_1, API_KEY_2]);
    // A working state.
    let state = CreateTicket::from_env(&env(&[
        (VAR_INLINE, &json),
        (VAR_CALLER_AUTH, "api-key"),
        (VAR_API_KEYS, &keys),
        (VAR_JWT_SECRET, JWT_SECRET),
    ]))
    .await
    .expect("starts");
    assert_debug_hides("CreateTicket", &state, &secrets);
    // Cold-start failures that carry a secret value somewhere in the config.
    let broken_json = json.replacen("\"env_id\"", "env_id", 1);
    let broken_key = credentials_json(&KEY_PKCS8.replacen('M', "*", 1));
    let cases: Vec<Vec<(&str, &str)>> = vec![
        vec![
            (VAR_INLINE, &broken_json),
            (VAR_CALLER_AUTH, "api-key"),
            (VAR_API_KEYS, &keys),
        ],
        vec![
            (VAR_INLINE, &broken_key),
            (VAR_CALLER_AUTH, "api-key"),
            (VAR_API_KEYS, &keys),
        ],
        vec![
            (VAR_INLINE, &json),
            (VAR_CALLER_AUTH, "api-key"),
            (VAR_API_KEYS, "short"),
        ],
        vec![
            (VAR_INLINE, &json),
            (VAR_CALLER_AUTH, "jwt"),
            (VAR_JWT_SECRET, &JWT_SECRET[..20]),
        ],
        vec![
            (VAR_INLINE, &json),
            (VAR_CALLER_AUTH, "wrong"),
            (VAR_API_KEYS, &keys),
        ],
        vec![
            (VAR_INLINE, &json),
            ("CUSTOMAUTH_ENV", "other"),
            (VAR_CALLER_AUTH, "api-key"),
            (VAR_API_KEYS, &keys),
        ],
    ];
    for pairs in cases {
        let e = CreateTicket::from_env(&env(&pairs))
            .await
            .expect_err("refused");
        assert_error_hides("CreateTicket::from_env", &e, &secrets);
        assert_error_hides("CreateTicket::from_env", &e, &[JWT_SECRET[..20].to_owned()]);
    }
}

#[test]
fn auth_errors_hide_the_presented_credentials() {
    let hs = caller_auth(&[
        (VAR_CALLER_AUTH, "jwt"),
        (VAR_JWT_SECRET, JWT_SECRET),
        ANY_AUDIENCE,
    ]);
    let api = caller_auth(&[(VAR_CALLER_AUTH, "api-key"), (VAR_API_KEYS, API_KEY_1)]);
    let gateway = caller_auth(&[(VAR_CALLER_AUTH, "gateway")]);
    let near_miss = format!("{}X", &API_KEY_1[..API_KEY_1.len() - 1]);
    let token = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &serde_json::json!({"sub": "not a valid id", "exp": 4_000_000_000_u64}),
        &jsonwebtoken::EncodingKey::from_secret(JWT_SECRET.as_bytes()),
    )
    .expect("signs");
    let expired = jsonwebtoken::encode(
        &jsonwebtoken::Header::default(),
        &serde_json::json!({"sub": "user_1234", "exp": 1}),
        &jsonwebtoken::EncodingKey::from_secret(JWT_SECRET.as_bytes()),
    )
    .expect("signs");
    let secrets = vec![
        JWT_SECRET.to_owned(),
        API_KEY_1.to_owned(),
        near_miss.clone(),
        token.clone(),
        expired.clone(),
    ];
    for (auth, presented) in [
        (&hs, token.as_str()),
        (&hs, expired.as_str()),
        (&hs, near_miss.as_str()),
        (&api, near_miss.as_str()),
        (&api, token.as_str()),
        (&gateway, token.as_str()),
    ] {
        let e = auth.authenticate(&bearer(presented)).expect_err("refused");
        assert_error_hides("AuthError", &e, &secrets);
    }
}

#[test]
fn verify_errors_do_not_echo_the_ticket() {
    let signer = TicketSigner::new(
        "kid-h",
        "env-h",
        SigningKey::from_pem(KEY_PKCS8).expect("parses"),
    );
    let uid = CustomUserId::parse("user_1234").expect("valid");
    let ticket = signer
        .sign(&uid, TicketOptions::default(), 1_700_000_000_000)
        .expect("signs")
        .into_string();
    let signature = ticket.rsplit('.').next().expect("signature").to_owned();
    let secrets = vec![ticket.clone(), signature.clone()];
    let v = signer.verifier();
    for forged in [
        ticket.replacen("kid-h", "kid-x", 1),
        format!("{ticket}="),
        ticket.replacen(&signature, &signature.chars().rev().collect::<String>(), 1),
        ticket.clone(),
    ] {
        // The last one is valid but expired at this clock.
        let e = v.verify(&forged, 1_800_000_000_000).expect_err("refused");
        assert_error_hides("VerifyError", &e, &secrets);
    }
}
