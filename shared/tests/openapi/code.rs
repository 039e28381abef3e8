//! What the code says: the error variants, the 400 codes in the sources.

use super::*;

/// Every `ApiError` but `BadRequest`, whose codes are chosen at the call
/// sites. The match makes a new variant a compile error here.
pub(crate) fn fixed_variants() -> Vec<ApiError> {
    let all = vec![
        ApiError::Unauthorized(String::new()),
        ApiError::Forbidden(String::new()),
        ApiError::MethodNotAllowed { allow: "POST" },
        ApiError::RequestTimeout,
        ApiError::PayloadTooLarge,
        ApiError::UnsupportedMediaType,
        ApiError::Internal,
        ApiError::Unavailable(String::new()),
    ];
    for e in &all {
        match e {
            ApiError::BadRequest { .. }
            | ApiError::Unauthorized(_)
            | ApiError::Forbidden(_)
            | ApiError::MethodNotAllowed { .. }
            | ApiError::RequestTimeout
            | ApiError::PayloadTooLarge
            | ApiError::UnsupportedMediaType
            | ApiError::Internal
            | ApiError::Unavailable(_) => {}
        }
    }
    all
}

pub(crate) fn sources() -> Vec<(PathBuf, String)> {
    pub(crate) fn walk(dir: &Path, out: &mut Vec<(PathBuf, String)>) {
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
pub(crate) fn bad_request_codes() -> BTreeSet<String> {
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
pub(crate) fn code_statuses() -> BTreeMap<String, u16> {
    let mut map: BTreeMap<String, u16> =
        bad_request_codes().into_iter().map(|c| (c, 400)).collect();
    for e in fixed_variants() {
        map.insert(e.code().to_owned(), e.status().as_u16());
    }
    map
}

pub(crate) fn body_json(body: &Body) -> serde_json::Value {
    let bytes: &[u8] = match body {
        Body::Text(t) => t.as_bytes(),
        Body::Binary(b) => b,
        _ => b"",
    };
    serde_json::from_slice(bytes).expect("JSON body")
}
