//! The form controls (x-descriptors) the OSC console knows (docs/osc-format.md#x-descriptors).

const SPEC_CONTROLS: [&str; 8] = [
    "urn:alm:descriptor:com.tectonic.ui:text",
    "urn:alm:descriptor:com.tectonic.ui:password",
    "urn:alm:descriptor:com.tectonic.ui:imagePullPolicy",
    "urn:alm:descriptor:com.tectonic.ui:podCount",
    "urn:alm:descriptor:com.tectonic.ui:resourceRequirements",
    "urn:alm:descriptor:com.huawei.ui:hwDnatElbAccess",
    "urn:alm:descriptor:com.huawei.ui:hidden",
    // fieldDependency takes `:<path>:<value>`; see SPEC_CONTROL_PREFIXES.
    "urn:alm:descriptor:com.tectonic.ui:fieldDependency",
];
const SPEC_CONTROL_PREFIXES: [&str; 1] = ["urn:alm:descriptor:com.tectonic.ui:fieldDependency:"];
const STATUS_CONTROLS: [&str; 2] = [
    "urn:alm:descriptor:text",
    "urn:alm:descriptor:com.huawei.ui:link",
];
const SELECT: &str = "urn:alm:descriptor:com.tectonic.ui:select";
const RESOURCE: &str = "urn:alm:descriptor:io.kubernetes:";
/// Kinds the k8sResourcePrefix control can pick from.
const RESOURCE_KINDS: [&str; 2] = ["Secret", "ConfigMap"];

/// What the console makes of a control URN.
pub(crate) enum Urn {
    Known,
    /// Not in the developer guide's list; the console may show a plain field.
    Unknown,
    /// A listed control used in a way the console does not support.
    Unsupported {
        rule: &'static str,
        message: String,
        help: String,
    },
}

/// Classifies `urn` in a `spec` or `status` descriptor.
pub(crate) fn classify(urn: &str, group: &str) -> Urn {
    if group == "status" {
        return if STATUS_CONTROLS.contains(&urn) {
            Urn::Known
        } else {
            Urn::Unknown
        };
    }
    if let Some(option) = urn.strip_prefix(SELECT) {
        return match option.strip_prefix(':') {
            Some(option) if !option.is_empty() => Urn::Known,
            _ => Urn::Unsupported {
                rule: "csd-descriptor-select",
                message: "a select control names no option".to_string(),
                help: format!("write one `{SELECT}:<option>` per option"),
            },
        };
    }
    if let Some(kind) = urn.strip_prefix(RESOURCE) {
        return if RESOURCE_KINDS.contains(&kind) {
            Urn::Known
        } else {
            Urn::Unsupported {
                rule: "csd-descriptor-resource",
                message: format!(
                    "the k8sResourcePrefix control supports Secret and ConfigMap, not `{kind}`"
                ),
                help: format!("use {RESOURCE}Secret or {RESOURCE}ConfigMap, or drop the control"),
            }
        };
    }
    if SPEC_CONTROLS.contains(&urn)
        || SPEC_CONTROL_PREFIXES
            .iter()
            .any(|prefix| urn.starts_with(prefix))
    {
        Urn::Known
    } else {
        Urn::Unknown
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_by_descriptor_group() {
        let cases = [
            (
                "urn:alm:descriptor:com.tectonic.ui:podCount",
                "spec",
                "known",
            ),
            (
                "urn:alm:descriptor:com.tectonic.ui:podCount",
                "status",
                "unknown",
            ),
            (
                "urn:alm:descriptor:com.tectonic.ui:select:fast",
                "spec",
                "known",
            ),
            (
                "urn:alm:descriptor:com.tectonic.ui:select:",
                "spec",
                "csd-descriptor-select",
            ),
            (
                "urn:alm:descriptor:com.tectonic.ui:select",
                "spec",
                "csd-descriptor-select",
            ),
            ("urn:alm:descriptor:io.kubernetes:Secret", "spec", "known"),
            (
                "urn:alm:descriptor:io.kubernetes:Service",
                "spec",
                "csd-descriptor-resource",
            ),
            (
                "urn:alm:descriptor:io.kubernetes:Service",
                "status",
                "unknown",
            ),
            (
                "urn:alm:descriptor:com.tectonic.ui:fieldDependency:mode:cluster",
                "spec",
                "known",
            ),
            ("urn:alm:descriptor:com.huawei.ui:link", "status", "known"),
            (
                "urn:alm:descriptor:com.tectonic.ui:booleanSwitch",
                "spec",
                "unknown",
            ),
        ];
        for (urn, group, expected) in cases {
            let found = match classify(urn, group) {
                Urn::Known => "known",
                Urn::Unknown => "unknown",
                Urn::Unsupported { rule, .. } => rule,
            };
            assert_eq!(found, expected, "{urn} in {group}");
        }
    }
}
