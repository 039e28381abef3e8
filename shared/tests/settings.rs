//! One home per setting: the configuration table of docs/configuration.md
//! names exactly the variables the modules declare (and `--help` lists, being
//! built from those declarations). A row without a declaration, or a
//! declaration without a row, fails here.

use std::collections::BTreeSet;
use std::path::Path;

use customauth::function::{Function, settings};
use customauth::handlers::{CreateTicket, GetClientIp, GetUserInfo};

/// The names every function declares.
fn declared() -> BTreeSet<&'static str> {
    let mut names = BTreeSet::new();
    for name in names_of::<CreateTicket>()
        .chain(names_of::<GetUserInfo>())
        .chain(names_of::<GetClientIp>())
    {
        names.insert(name);
    }
    names
}

fn names_of<F: Function>() -> impl Iterator<Item = &'static str> {
    settings::<F>().map(|setting| setting.name)
}

/// The variables named (in backticks) in the first cell of each row of the
/// table headed `| variable | meaning |`.
fn documented(text: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut rows = text
        .lines()
        .skip_while(|line| !line.starts_with("| variable | meaning |"))
        .skip(2);
    for row in rows.by_ref().take_while(|line| line.starts_with('|')) {
        let cell = row.split('|').nth(1).unwrap_or("");
        for (i, part) in cell.split('`').enumerate() {
            let is_name = !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
            if i % 2 == 1 && is_name {
                names.insert(part.to_owned());
            }
        }
    }
    names
}

/// What differs between `documented` and `declared`, in words; empty when
/// they agree.
fn drift(documented: &BTreeSet<String>, declared: &BTreeSet<&str>) -> Vec<String> {
    let mut problems = Vec::new();
    for name in declared {
        if !documented.contains(*name) {
            problems.push(format!("{name} is declared (and in --help) but has no row"));
        }
    }
    for name in documented {
        if !declared.contains(name.as_str()) {
            problems.push(format!(
                "{name} has a row but no declaration (nor --help line)"
            ));
        }
    }
    problems
}

fn table() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/configuration.md");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn the_configuration_table_names_exactly_the_declared_settings() {
    let documented = documented(&table());
    assert!(documented.len() > 40, "table not found: {documented:?}");
    let problems = drift(&documented, &declared());
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn a_missing_row_or_a_missing_declaration_is_drift() {
    let text = table();
    let declared = declared();
    let without_row: String = text
        .lines()
        .filter(|line| !line.starts_with("| `CUSTOMAUTH_MAX_CONNECTIONS` |"))
        .map(|line| format!("{line}\n"))
        .collect();
    assert_eq!(
        drift(&documented(&without_row), &declared),
        ["CUSTOMAUTH_MAX_CONNECTIONS is declared (and in --help) but has no row"]
    );
    let mut without_declaration = declared.clone();
    without_declaration.remove("CUSTOMAUTH_ENV");
    assert_eq!(
        drift(&documented(&text), &without_declaration),
        ["CUSTOMAUTH_ENV has a row but no declaration (nor --help line)"]
    );
}

#[test]
fn every_setting_is_declared_once_per_function() {
    for names in [
        names_of::<CreateTicket>().collect::<Vec<_>>(),
        names_of::<GetUserInfo>().collect(),
        names_of::<GetClientIp>().collect(),
    ] {
        let unique: BTreeSet<_> = names.iter().collect();
        assert_eq!(unique.len(), names.len(), "{names:?}");
    }
}
