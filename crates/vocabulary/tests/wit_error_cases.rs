//! The error kinds are the WIT contract's: every case of the `error`
//! variant in every released contract version has exactly one kind, and
//! every kind is a case, so a new case cannot reach agents unnamed.

use std::path::Path;

use vmware_vocabulary::ErrorKind;

/// The case names of `variant error { … }` in a WIT file, in order.
fn error_cases(wit: &str) -> Vec<String> {
    let start = wit
        .find("variant error {")
        .expect("the contract has an error variant");
    let body = &wit[start + "variant error {".len()..];
    let body = &body[..body.find('}').expect("the variant is closed")];
    body.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with("//"))
        .map(|l| l.split(['(', ',']).next().unwrap_or(l).trim().to_string())
        .collect()
}

#[test]
fn every_wit_error_case_has_exactly_one_kind() {
    let wit_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../plugins/sdk/wit");
    let mut versions: Vec<(Vec<u64>, Vec<String>)> = Vec::new();
    for entry in std::fs::read_dir(&wit_dir).expect("the SDK's wit/ folder") {
        let dir = entry.unwrap().path();
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let Some(version) = name.strip_prefix("since_v") else {
            continue;
        };
        let version: Vec<u64> = version.split('.').map(|p| p.parse().unwrap()).collect();
        let text = std::fs::read_to_string(dir.join("vmware.wit")).unwrap();
        let cases = error_cases(&text);
        // Older versions may lack newer cases; none has a case without a kind.
        for case in &cases {
            let kind = ErrorKind::parse(case)
                .unwrap_or_else(|| panic!("{name}: the WIT case `{case}` has no error kind"));
            assert_eq!(kind.wit_case(), case);
            assert_eq!(kind.as_str(), case.replace('-', "_"));
        }
        versions.push((version, cases));
    }
    versions.sort();
    assert!(versions.len() >= 3, "every released contract was checked");
    let (_, newest) = versions.last().unwrap();
    let kinds: Vec<&str> = ErrorKind::ALL.iter().map(|k| k.wit_case()).collect();
    assert_eq!(
        newest, &kinds,
        "the newest contract's cases are exactly the kinds, in order"
    );
}
