//! Test support for the configuration exports: go2rtc's JSON Schema and the example configurations
//! of each tool's own documentation, vendored in `tests/fixtures/{go2rtc,frigate,mediamtx}/` (see
//! the `ORIGIN.md` there), and a structural comparison of an export with those examples.

use serde_yaml::Value;

/// A vendored fixture parsed as YAML.
pub fn example(path: &str) -> Value {
    serde_yaml::from_slice(&crate::test_fixture(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// go2rtc's schema of its configuration (`www/schema.json`).
pub fn go2rtc_schema() -> jsonschema::Validator {
    let schema: serde_json::Value =
        serde_json::from_slice(&crate::test_fixture("go2rtc/schema.json")).unwrap();
    jsonschema::validator_for(&schema).expect("go2rtc's schema compiles")
}

/// The schema's complaints about a go2rtc configuration, as text (empty: valid).
pub fn go2rtc_errors(config: &Value) -> Vec<String> {
    let json = serde_json::to_value(config).expect("YAML maps to JSON");
    go2rtc_schema()
        .iter_errors(&json)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

/// What kind of YAML value, the way a YAML 1.1 reader (go-yaml's, PyYAML's) types a plain
/// `yes`/`no`/`on`/`off`: as a boolean.
fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "bool",
        Value::Number(_) => "number",
        Value::String(s)
            if ["yes", "no", "on", "off"]
                .iter()
                .any(|w| s.eq_ignore_ascii_case(w)) =>
        {
            "bool"
        }
        Value::String(_) => "string",
        Value::Sequence(_) => "sequence",
        Value::Mapping(_) => "mapping",
        Value::Tagged(t) => kind(&t.value),
    }
}

/// Whether `ours` has the structure of the documentation's examples `docs`: every key of ours is
/// a key the examples use at the same place (or one of `extra`, documented elsewhere), with a value
/// of a kind they use there. Maps keyed by names (`named`, as `/`-joined paths such as `cameras`
/// or `go2rtc/streams`) compare each entry with every entry of the examples.
pub fn conforms(
    ours: &Value,
    docs: &[Value],
    named: &[&str],
    extra: &[&str],
) -> Result<(), String> {
    let docs: Vec<&Value> = docs.iter().collect();
    walk(ours, &docs, "", named, extra)
}

fn walk(
    ours: &Value,
    docs: &[&Value],
    path: &str,
    named: &[&str],
    extra: &[&str],
) -> Result<(), String> {
    let kinds: Vec<&str> = docs.iter().map(|d| kind(d)).collect();
    if !kinds.contains(&kind(ours)) {
        return Err(format!(
            "{path}: a {} where the examples have {kinds:?}",
            kind(ours)
        ));
    }
    let join = |k: &str| {
        if path.is_empty() {
            k.to_string()
        } else {
            format!("{path}/{k}")
        }
    };
    match ours {
        Value::Mapping(m) if named.contains(&path) => {
            let entries: Vec<&Value> = docs
                .iter()
                .filter_map(|d| d.as_mapping())
                .flat_map(|m| m.values())
                .collect();
            for (k, v) in m {
                let name = k
                    .as_str()
                    .ok_or(format!("{path}: a name that is no string"))?;
                walk(v, &entries, &join("*"), named, extra)
                    .map_err(|e| format!("{e} (in {name})"))?;
            }
            Ok(())
        }
        Value::Mapping(m) => {
            for (k, v) in m {
                let key = k
                    .as_str()
                    .ok_or(format!("{path}: a key that is no string"))?;
                let same: Vec<&Value> = docs.iter().filter_map(|d| d.get(key)).collect();
                if same.is_empty() {
                    if extra.contains(&join(key).as_str()) {
                        continue;
                    }
                    return Err(format!("{}: no example has this key", join(key)));
                }
                walk(v, &same, &join(key), named, extra)?;
            }
            Ok(())
        }
        Value::Sequence(items) => {
            let all: Vec<&Value> = docs
                .iter()
                .filter_map(|d| d.as_sequence())
                .flatten()
                .collect();
            for item in items {
                walk(item, &all, &join("-"), named, extra)?;
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schema_accepts_go2rtcs_examples_and_refuses_a_wrong_shape() {
        for path in [
            "go2rtc/rtsp-client-example.yaml",
            "go2rtc/onvif-example.yaml",
        ] {
            assert_eq!(
                go2rtc_errors(&example(path)),
                Vec::<String>::new(),
                "{path}"
            );
        }
        let wrong: Value =
            serde_yaml::from_str("streams:\n  cam:\n    url: rtsp://x\nstreem: {}\n").unwrap();
        let errors = go2rtc_errors(&wrong);
        assert!(errors.len() >= 2, "{errors:?}");
    }

    #[test]
    fn conforms_finds_what_differs() {
        let docs = [example("frigate/cameras-example.yaml")];
        let ok: Value = serde_yaml::from_str(
            "cameras:\n  x:\n    ffmpeg:\n      inputs:\n      - path: rtsp://a\n        roles: [detect]\n",
        )
        .unwrap();
        assert_eq!(conforms(&ok, &docs, &["cameras"], &[]), Ok(()));
        let bad: Value = serde_yaml::from_str(
            "cameras:\n  x:\n    ffmpeg:\n      inputs:\n      - path: rtsp://a\n        roles: detect\n",
        )
        .unwrap();
        assert!(conforms(&bad, &docs, &["cameras"], &[]).is_err());
        let unknown: Value = serde_yaml::from_str("cameras:\n  x:\n    fmpeg: {}\n").unwrap();
        let e = conforms(&unknown, &docs, &["cameras"], &[]).unwrap_err();
        assert!(e.contains("cameras/*/fmpeg"), "{e}");
        assert_eq!(
            conforms(&unknown, &docs, &["cameras"], &["cameras/*/fmpeg"]),
            Ok(())
        );
    }
}
