//! JSON errors described without quoting the input.

/// A serde_json error described without quoting the input: serde quotes
/// offending values and unknown keys, which are client-chosen and may hold
/// secrets or control characters.
///
/// An unknown key is refused generically, with the allowed field names
/// (ours, from the struct) instead of the key; missing and duplicate fields
/// are named (serde names them from the struct, never from the input),
/// escaped and cut to 32 characters.
pub fn describe_json_error(e: &serde_json::Error) -> String {
    describe_json_error_in(e, None)
}

/// As [`describe_json_error`], and a wrong type or value is said to be in
/// `field` when that is given and looks like a field name (ASCII letters,
/// digits and `_`, at most 32 characters): pass only names the input could
/// not have chosen, such as the path to a field of a struct that denies
/// unknown fields.
pub fn describe_json_error_in(e: &serde_json::Error, field: Option<&str>) -> String {
    let msg = e.to_string();
    if msg.starts_with("unknown field `") {
        return match allowed_fields(&msg) {
            Some(fields) if fields.is_empty() => "unknown field; no fields are allowed".to_owned(),
            Some(fields) => format!(
                "unknown field; the allowed fields are {}",
                fields.join(", ")
            ),
            None => "unknown field".to_owned(),
        };
    }
    for kind in ["missing", "duplicate"] {
        if let Some(field) = msg
            .strip_prefix(&format!("{kind} field `"))
            .and_then(|rest| rest.split('`').next())
        {
            let field: String = field.chars().take(32).collect();
            return format!("{kind} field {field:?}");
        }
    }
    match e.classify() {
        serde_json::error::Category::Data => match field.filter(|f| is_field_name(f)) {
            Some(field) => format!(
                "field {field:?} has the wrong type or value (see the API for each field's type)"
            ),
            None => {
                "a field has the wrong type or value (see the API for each field's type)".to_owned()
            }
        },
        serde_json::error::Category::Eof => "JSON ends early".to_owned(),
        serde_json::error::Category::Syntax | serde_json::error::Category::Io => {
            format!("not valid JSON (line {}, column {})", e.line(), e.column())
        }
    }
}

/// The field names serde lists after an unknown key: its message is
/// ``unknown field `KEY`, expected one of `a`, `b` `` (or ``expected `a` ``,
/// or `there are no fields`), then ` at line L column C`. KEY is the
/// client's and may itself contain `` `, expected `x` ``, so the list is taken
/// from the end, and every name must look like a field name; `None` when
/// anything is off.
fn allowed_fields(msg: &str) -> Option<Vec<&str>> {
    let msg = match msg.rsplit_once(" at line ") {
        Some((head, position))
            if position
                .split(" column ")
                .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())) =>
        {
            head
        }
        _ => msg,
    };
    if msg.ends_with("`, there are no fields") {
        return Some(Vec::new());
    }
    let (_, list) = msg.rsplit_once("`, expected ")?;
    let list = list.strip_prefix("one of ").unwrap_or(list);
    list.split(", ")
        .map(|name| {
            name.strip_prefix('`')?
                .strip_suffix('`')
                .filter(|n| is_field_name(n))
        })
        .collect()
}

/// ASCII letters, digits and `_`, 1 to 32 characters.
fn is_field_name(s: &str) -> bool {
    (1..=32).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields, rename_all = "camelCase")]
    #[allow(dead_code)]
    struct Three {
        custom_user_id: Option<String>,
        refresh: Option<u64>,
        expire: Option<u64>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct One {
        only: Option<u64>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    struct Nothing {}

    fn text<T: serde::de::DeserializeOwned + std::fmt::Debug>(json: &str) -> String {
        describe_json_error(&serde_json::from_str::<T>(json).unwrap_err())
    }

    #[test]
    fn values_are_never_quoted_and_field_names_are_escaped_and_cut() {
        type Map = std::collections::BTreeMap<String, u8>;
        assert!(!text::<Map>(r#"{"a":"SECRETVALUE"}"#).contains("SECRETVALUE"));
        assert!(text::<Map>("{").contains("ends early"));
        assert!(text::<Map>("{]").contains("line 1"));
    }

    #[test]
    fn unknown_keys_are_never_quoted_and_the_allowed_fields_are_listed() {
        for key in [
            "SECRET-KEY-0123456789",
            "a`, expected `SECRET",
            "x`, expected one of `SECRET`, `KEY",
            "`, there are no fields",
            "line\nbreak at line 1 column 2",
            "",
        ] {
            let json = serde_json::json!({ key: 1 }).to_string();
            let three = text::<Three>(&json);
            assert_eq!(
                three, "unknown field; the allowed fields are customUserId, refresh, expire",
                "{key:?}"
            );
            assert_eq!(
                text::<One>(&json),
                "unknown field; the allowed fields are only",
                "{key:?}"
            );
            assert_eq!(
                text::<Nothing>(&json),
                "unknown field; no fields are allowed",
                "{key:?}"
            );
        }
    }

    #[test]
    fn a_wrong_type_names_the_field_only_when_given_a_field_name() {
        let e = serde_json::from_str::<Three>(r#"{"refresh":"3600000"}"#).unwrap_err();
        assert_eq!(
            describe_json_error_in(&e, Some("refresh")),
            "field \"refresh\" has the wrong type or value (see the API for each field's type)"
        );
        assert!(describe_json_error(&e).starts_with("a field has the wrong type"));
        for odd in ["", "a b", "a\"b", "SECRET-KEY", &"x".repeat(33)] {
            let text = describe_json_error_in(&e, Some(odd));
            assert!(
                text.starts_with("a field has the wrong type"),
                "{odd:?}: {text}"
            );
        }
    }
}
