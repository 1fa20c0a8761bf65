//! The classic Prometheus text format 0.0.4, made from the OpenMetrics text prometheus-client
//! writes ([`super::Metrics::render_classic`]: why both, the module docs of [`super`]).

/// OpenMetrics text as the classic format 0.0.4: a counter family's HELP and TYPE carry its
/// sample name (`x_total`), `# UNIT` and `# EOF` go, `unknown` is `untyped`, `_created` samples
/// (which the classic format has no place for) go.
pub fn openmetrics_to_classic(text: &str) -> String {
    let counters: std::collections::HashSet<&str> = text
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.strip_suffix(" counter"))
        .collect();
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        if line == "# EOF" || line.starts_with("# UNIT ") {
            continue;
        }
        let descriptor = line
            .strip_prefix("# HELP ")
            .map(|r| ("# HELP ", r))
            .or_else(|| line.strip_prefix("# TYPE ").map(|r| ("# TYPE ", r)));
        if let Some((head, rest)) = descriptor {
            let (name, tail) = rest.split_once(' ').unwrap_or((rest, ""));
            out.push_str(head);
            out.push_str(name);
            if counters.contains(name) {
                out.push_str("_total");
            }
            out.push(' ');
            out.push_str(if head == "# TYPE " && tail == "unknown" {
                "untyped"
            } else {
                tail
            });
            out.push('\n');
            continue;
        }
        let sample = line.split(['{', ' ']).next().unwrap_or("");
        if sample
            .strip_suffix("_created")
            .is_some_and(|base| counters.contains(base))
        {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classic_format_drops_created_and_renames_unknown() {
        let om = "# HELP a_things Things.\n# TYPE a_things counter\na_things_total 2\n\
                  a_things_created 1.7e9\n# HELP b B.\n# TYPE b unknown\nb 1\n# EOF\n";
        assert_eq!(
            openmetrics_to_classic(om),
            "# HELP a_things_total Things.\n# TYPE a_things_total counter\na_things_total 2\n\
             # HELP b B.\n# TYPE b untyped\nb 1\n"
        );
    }
}
