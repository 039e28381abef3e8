//! JSON errors described without quoting the input.

/// A serde_json error described without quoting the input: serde quotes
/// offending values, which are attacker-chosen and may hold secrets or
/// control characters. Field names are quoted escaped and truncated.
pub fn describe_json_error(e: &serde_json::Error) -> String {
    let msg = e.to_string();
    for kind in ["missing", "duplicate", "unknown"] {
        if let Some(field) = msg
            .strip_prefix(&format!("{kind} field `"))
            .and_then(|rest| rest.split('`').next())
        {
            let field: String = field.chars().take(32).collect();
            return format!("{kind} field {field:?}");
        }
    }
    match e.classify() {
        serde_json::error::Category::Data => {
            "a field has the wrong type or value (see the API for each field's type)".to_owned()
        }
        serde_json::error::Category::Eof => "JSON ends early".to_owned(),
        serde_json::error::Category::Syntax | serde_json::error::Category::Io => {
            format!("not valid JSON (line {}, column {})", e.line(), e.column())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_never_quoted_and_field_names_are_escaped_and_cut() {
        let text = |json: &str| {
            let e =
                serde_json::from_str::<std::collections::BTreeMap<String, u8>>(json).unwrap_err();
            describe_json_error(&e)
        };
        assert!(!text(r#"{"a":"SECRETVALUE"}"#).contains("SECRETVALUE"));
        assert!(text("{").contains("ends early"));
        assert!(text("{]").contains("line 1"));
    }
}
