//! The emulator's access tokens verified by the project's own get-user-info
//! function in jwt mode against the emulator's JWKS: no special mode.

mod common;

use common::*;
use customauth_testkit::{Process, request};

#[test]
fn get_user_info_in_jwt_mode_verifies_access_tokens_with_the_jwks() {
    let bin = sibling_bin("get-user-info");
    let emu = Emulator::start();
    let (_, access, _) = emu.v1_sign_in(ENV_A, &ticket("user_jwt_mode"));
    let uid = emu.v1_user(ENV_A, &access)["data"]["uid"].clone();
    let jwks = request("GET", &emu.url("/.well-known/jwks.json"), &[], None).body;
    let issuer = emu.url("");
    let function = Process::http(
        &bin,
        &[
            ("CUSTOMAUTH_CALLER_AUTH", "jwt"),
            ("CUSTOMAUTH_JWT_JWKS", jwks.as_str()),
            ("CUSTOMAUTH_JWT_ISSUER", issuer.as_str()),
            ("CUSTOMAUTH_JWT_AUDIENCE", ENV_A),
            ("CUSTOMAUTH_USER_ID_CLAIM", "custom_user_id"),
        ],
    )
    .expect("get-user-info starts");
    let bearer = format!("Bearer {access}");
    let r = request(
        "GET",
        &function.url("/"),
        &[("authorization", bearer.as_str())],
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let body = r.json();
    assert_eq!(body["uid"], uid, "the emulator's uid");
    assert_eq!(body["customUserId"], "user_jwt_mode");
    // A token of another emulator (another key) is refused.
    let other = Emulator::start();
    let (_, foreign, _) = other.v1_sign_in(ENV_A, &ticket("user_jwt_mode2"));
    let bearer = format!("Bearer {foreign}");
    let r = request(
        "GET",
        &function.url("/"),
        &[("authorization", bearer.as_str())],
        None,
    );
    assert_eq!(r.status, 401, "{}", r.body);
}
