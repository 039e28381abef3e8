//! The outline of openapi.yaml: a small reader for the YAML styles the spec
//! uses (no YAML crate needed for one file we write ourselves).

use super::*;

/// One scalar of the spec: the keys above it (`-` for a sequence item) and
/// its value, unquoted.
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) path: Vec<String>,
    pub(crate) value: String,
}

#[derive(Debug)]
pub(crate) struct Spec {
    pub(crate) entries: Vec<Entry>,
}

pub(crate) fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

pub(crate) fn unquote(raw: &str, line_no: usize) -> String {
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
pub(crate) fn flow_items(raw: &str, line_no: usize) -> Vec<String> {
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
pub(crate) fn split_key(text: &str) -> Option<(String, &str)> {
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
    pub(crate) fn load() -> Self {
        let text = std::fs::read_to_string(root().join("openapi.yaml")).expect("openapi.yaml");
        Self::parse(&text)
    }

    pub(crate) fn parse(text: &str) -> Self {
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

    pub(crate) fn matches(path: &[String], query: &[&str]) -> bool {
        path.len() == query.len() && path.iter().zip(query).all(|(a, b)| a == b)
    }

    /// The scalar at `path`.
    pub(crate) fn get(&self, path: &[&str]) -> &str {
        let found: Vec<_> = self
            .entries
            .iter()
            .filter(|e| Self::matches(&e.path, path))
            .collect();
        assert_eq!(found.len(), 1, "openapi.yaml: one value at {path:?}");
        &found[0].value
    }

    /// The items of the sequence of scalars at `path`.
    pub(crate) fn items(&self, path: &[&str]) -> Vec<&str> {
        let mut with_dash = path.to_vec();
        with_dash.push("-");
        self.entries
            .iter()
            .filter(|e| Self::matches(&e.path, &with_dash))
            .map(|e| e.value.as_str())
            .collect()
    }

    /// The keys of the mapping at `path`.
    pub(crate) fn keys(&self, path: &[&str]) -> BTreeSet<&str> {
        self.entries
            .iter()
            .filter(|e| e.path.len() > path.len() && e.path.iter().zip(path).all(|(a, b)| a == b))
            .map(|e| e.path[path.len()].as_str())
            .collect()
    }

    /// Whether anything lies at or under `path`.
    pub(crate) fn has(&self, path: &[&str]) -> bool {
        self.entries
            .iter()
            .any(|e| e.path.len() >= path.len() && e.path.iter().zip(path).all(|(a, b)| a == b))
    }

    /// `path`, or the component its `$ref` names.
    pub(crate) fn resolve(&self, path: &[&str]) -> Vec<String> {
        let mut with_ref = path.to_vec();
        with_ref.push("$ref");
        if self.has(&with_ref) {
            self.deref(path)
        } else {
            path.iter().map(|s| (*s).to_owned()).collect()
        }
    }

    /// The component a `$ref` at `path` names, as a path.
    pub(crate) fn deref(&self, path: &[&str]) -> Vec<String> {
        let mut with_ref = path.to_vec();
        with_ref.push("$ref");
        let target = self.get(&with_ref);
        let target = target
            .strip_prefix("#/")
            .unwrap_or_else(|| panic!("{path:?}: only local $refs: {target}"));
        target.split('/').map(str::to_owned).collect()
    }
}

pub(crate) fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

pub(crate) const OPERATIONS: [(&str, &str); 5] = [
    ("/createTicket", "post"),
    ("/getUserInfo", "get"),
    ("/getUserInfo", "post"),
    ("/getClientIP", "get"),
    ("/getClientIP", "post"),
];
