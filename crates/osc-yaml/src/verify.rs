//! The safety net: an edit must change what the document means at its path and nowhere else.

use serde_norway::Value;

use crate::Segment;

/// Checks that `edited` is `original` with the value at `segments` set to `wanted`.
pub(crate) fn check(
    original: &Value,
    edited: &Value,
    segments: &[Segment],
    wanted: Value,
) -> Result<(), String> {
    let mut expected = original.clone();
    let slot = slot_mut(&mut expected, segments)
        .ok_or_else(|| "the path cannot be followed in the parsed document".to_owned())?;
    *slot = wanted.clone();
    if *edited == expected {
        return Ok(());
    }
    match lookup(edited, segments) {
        Some(found) if *found == wanted => Err("other values changed too".to_owned()),
        Some(found) => Err(format!("the path reads {} instead", brief(found))),
        None => Err("the path is missing from the edited text".to_owned()),
    }
}

/// The value at `segments`, creating missing mapping keys (and mappings in place of nulls).
pub(crate) fn slot_mut<'v>(
    mut current: &'v mut Value,
    segments: &[Segment],
) -> Option<&'v mut Value> {
    for segment in segments {
        current = match segment {
            Segment::Key(key) => {
                if current.is_null() {
                    *current = Value::Mapping(serde_norway::Mapping::new());
                }
                let mapping = current.as_mapping_mut()?;
                let existing = mapping
                    .keys()
                    .find(|candidate| key_is(candidate, key))
                    .cloned();
                mapping
                    .entry(existing.unwrap_or_else(|| Value::from(key.as_str())))
                    .or_insert(Value::Null)
            }
            Segment::Index(index) => current.as_sequence_mut()?.get_mut(*index)?,
        };
    }
    Some(current)
}

pub(crate) fn lookup<'v>(mut current: &'v Value, segments: &[Segment]) -> Option<&'v Value> {
    for segment in segments {
        current = match segment {
            Segment::Key(key) => current
                .as_mapping()?
                .iter()
                .find_map(|(candidate, value)| key_is(candidate, key).then_some(value))?,
            Segment::Index(index) => current.as_sequence()?.get(*index)?,
        };
    }
    Some(current)
}

/// Whether a parsed key is the one a path names; keys such as `80:` parse as numbers.
fn key_is(candidate: &Value, key: &str) -> bool {
    match candidate {
        Value::String(text) => text == key,
        Value::Number(number) => number.to_string() == key,
        Value::Bool(flag) => flag.to_string() == key,
        _ => false,
    }
}

fn brief(value: &Value) -> String {
    serde_norway::to_string(value).map_or_else(
        |_| "an unprintable value".to_owned(),
        |text| format!("`{}`", text.trim_end()),
    )
}
