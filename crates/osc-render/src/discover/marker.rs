//! Marker values shaped like the values they replace, and where a marker lands in a rendered
//! image reference.

use std::ops::Range;

use serde_norway::Value;

use crate::discover::AddressPart;
use crate::discover::values::Scalar;
use osc_imageref::ImageRef;

/// A distinctive value for candidate `id`, shaped like the value it replaces so templates that
/// join, split, compare or count with it keep working, and the text it renders as.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Marker {
    /// What the values file sets.
    pub value: Value,
    /// What the marker renders as.
    pub text: String,
    /// Found alone (without the rest of `text`), the template kept only a piece of the value.
    pub token: Option<String>,
}

const MARKER_DOMAIN: &str = "osc-marker.test";
const MAX_VALUE_LEN: usize = 255;
/// Helm prints larger numbers in exponent form (`1e+06`).
const MAX_NUMBER: f64 = 100_000.0;

impl Marker {
    /// None when the value cannot be an image address or a part of one.
    pub fn for_value(value: &Scalar, id: usize) -> Option<Marker> {
        if let Scalar::Number(number) = value
            && let Some(marker) = number_marker(number, id)
        {
            return Some(marker);
        }
        let text = match value {
            // `""` and null turn into any part once set; a version looks like a registry host,
            // a path segment and a tag at once, and survives `semverCompare` (`kubeVersion: ""`).
            Scalar::Unset => format!("9.9.99{id:04}"),
            Scalar::Number(number) => version_marker(number, id)?,
            Scalar::Text(text) => text_marker(text, id)?,
        };
        let token = token(id);
        let token = text.contains(&token).then_some(token);
        Some(Marker {
            value: Value::String(text.clone()),
            text,
            token,
        })
    }

    /// `raw` with every whole occurrence of this marker put back to `original`, the text the
    /// key renders as today: what a field of a marker render reads with the chart's values.
    pub fn restore(&self, raw: &str, original: &str) -> String {
        let mut restored = String::with_capacity(raw.len());
        let mut last = 0;
        for span in occurrences(raw, &self.text) {
            restored.push_str(&raw[last..span.start]);
            restored.push_str(original);
            last = span.end;
        }
        restored.push_str(&raw[last..]);
        restored
    }

    /// The address parts this marker fills in a rendered reference, one per occurrence.
    pub fn parts_in(&self, raw: &str) -> Vec<AddressPart> {
        let layout = Layout::of(raw);
        let parts: Vec<AddressPart> = occurrences(raw, &self.text)
            .map(|span| layout.classify(span))
            .collect();
        if parts.is_empty()
            && let Some(token) = &self.token
            && occurrences(raw, token).next().is_some()
        {
            return vec![AddressPart::Partial];
        }
        parts
    }
}

/// A number a hair above the value, its extra digits encoding the id: `int`, `until`, `gt`
/// and arithmetic see the same number (replica counts stay counts), the output shows which key
/// it was (`tag: 16` renders `16.0000000071`).
fn number_marker(number: &str, id: usize) -> Option<Marker> {
    let original: f64 = number.parse().ok()?;
    if !(0.0..MAX_NUMBER).contains(&original) || number.contains(['e', 'E']) {
        return None;
    }
    let separator = if number.contains('.') { "" } else { "." };
    let text = format!("{number}{separator}0000{id:05}1");
    let marker: f64 = text.parse().ok()?;
    // Helm prints the shortest text that reads back as the same number, as Rust does.
    (marker.to_string() == text).then(|| Marker {
        value: Value::Number(marker.into()),
        text,
        token: None,
    })
}

fn token(id: usize) -> String {
    format!("m{id}x")
}

fn text_marker(text: &str, id: usize) -> Option<String> {
    if text.len() > MAX_VALUE_LEN || text.contains("://") || text.contains(char::is_whitespace) {
        return None;
    }
    if is_digest(text) {
        return Some(digest_marker(id));
    }
    if is_registry_host(text) {
        return Some(format!("{}.{MARKER_DOMAIN}", token(id)));
    }
    if text.contains(['/', ':', '@']) {
        ImageRef::parse(text).ok()?;
        return Some(reference_marker(text, id));
    }
    if is_tag(text) {
        return Some(version_marker(text, id).unwrap_or_else(|| token(id)));
    }
    None
}

/// The same parts as `reference`: a registry when it names one, one segment per path segment,
/// a tag and a digest when it has them.
fn reference_marker(reference: &str, id: usize) -> String {
    let layout = Layout::of(reference);
    let mut marker = String::new();
    if layout.registry.is_some() {
        marker.push_str(&format!("{}.{MARKER_DOMAIN}/", token(id)));
    }
    let segments = reference[layout.path.clone()].split('/').count();
    marker.push_str(&vec![token(id); segments].join("/"));
    if let Some(tag) = layout.tag {
        marker.push(':');
        marker.push_str(&version_marker(&reference[tag], id).unwrap_or_else(|| token(id)));
    }
    if layout.digest.is_some() {
        marker.push('@');
        marker.push_str(&digest_marker(id));
    }
    marker
}

/// For a version such as `8.2.1-debian-12-r0` or `12`: the same major and minor, so
/// `semverCompare` against the chart's own constraints mostly decides as before, a patch that
/// encodes the id, and a pre-release exactly when the value has a suffix.
pub(crate) fn version_marker(value: &str, id: usize) -> Option<String> {
    let (v, rest) = match value.strip_prefix(['v', 'V']) {
        Some(rest) => (&value[..1], rest),
        None => ("", value),
    };
    let mut numbers = Vec::new();
    let mut rest = rest;
    loop {
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        if digits == 0 {
            break;
        }
        numbers.push(&rest[..digits]);
        rest = &rest[digits..];
        if numbers.len() == 3 {
            break;
        }
        match rest.strip_prefix('.') {
            Some(after) if after.starts_with(|c: char| c.is_ascii_digit()) => rest = after,
            _ => break,
        }
    }
    let major = numbers.first()?;
    if !(rest.is_empty() || rest.starts_with(['-', '_', '.'])) {
        return None;
    }
    let minor = numbers.get(1).unwrap_or(&"0");
    let pre_release = if rest.is_empty() {
        String::new()
    } else {
        format!("-{}", token(id))
    };
    Some(format!("{v}{major}.{minor}.99{id:04}{pre_release}"))
}

fn digest_marker(id: usize) -> String {
    format!("sha256:{:0>64}", format!("ace{id:x}"))
}

fn is_digest(text: &str) -> bool {
    text.split_once(':').is_some_and(|(algorithm, hex)| {
        algorithm.starts_with("sha")
            && hex.len() >= 32
            && hex.bytes().all(|b| b.is_ascii_hexdigit())
    })
}

/// `localhost`, a dotted host name ending in letters (`docker.io`, `registry.local`), or an IPv4
/// address with a port, each with an optional `:port`. A bare dotted number such as `1.25` is
/// a version, not a host.
pub(crate) fn is_registry_host(text: &str) -> bool {
    let (host, port) = match text.split_once(':') {
        Some((host, port)) => (host, Some(port)),
        None => (text, None),
    };
    if port.is_some_and(|port| port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit())) {
        return false;
    }
    let labels: Vec<&str> = host.split('.').collect();
    let label_ok = |label: &&str| {
        !label.is_empty()
            && label
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    if host == "localhost" {
        return true;
    }
    if labels.len() < 2 || !labels.iter().all(label_ok) {
        return false;
    }
    let ipv4 = labels.len() == 4 && labels.iter().all(|l| l.bytes().all(|b| b.is_ascii_digit()));
    let top_level_alphabetic = labels
        .last()
        .is_some_and(|label| label.bytes().all(|b| b.is_ascii_alphabetic()));
    top_level_alphabetic || (ipv4 && port.is_some())
}

/// `[\w][\w.-]{0,127}`
pub(crate) fn is_tag(text: &str) -> bool {
    let word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    text.len() <= 128
        && text.bytes().next().is_some_and(word)
        && text.bytes().all(|b| word(b) || b == b'.' || b == b'-')
}

/// Where `needle` occurs in `haystack` between non-alphanumeric characters, so that `m1x` is
/// not found in `m11x` nor `9.9.991000` in `9.9.9910000`.
pub(crate) fn occurrences<'h>(
    haystack: &'h str,
    needle: &'h str,
) -> impl Iterator<Item = Range<usize>> + 'h {
    haystack
        .match_indices(needle)
        .filter_map(move |(start, _)| {
            let end = start + needle.len();
            let before = haystack[..start].bytes().next_back();
            let after = haystack[end..].bytes().next();
            let boundary = |b: Option<u8>| b.is_none_or(|b| !b.is_ascii_alphanumeric());
            (boundary(before) && boundary(after)).then_some(start..end)
        })
}

/// The parts of `registry/path:tag@digest` as written, by byte range; the registry only when
/// the reference names one (Docker's rule).
#[derive(Debug, PartialEq, Eq)]
struct Layout {
    len: usize,
    registry: Option<Range<usize>>,
    path: Range<usize>,
    tag: Option<Range<usize>>,
    digest: Option<Range<usize>>,
    /// The `/`s between path segments.
    slashes: Vec<usize>,
}

impl Layout {
    /// Reads any text, also one that is no valid reference (a digest marker in a tag's place).
    fn of(raw: &str) -> Layout {
        let len = raw.len();
        let (name_and_tag_end, digest) = match raw.find('@') {
            Some(at) => (at, Some(at + 1..len)),
            None => (len, None),
        };
        let name_and_tag = &raw[..name_and_tag_end];
        let last_slash = name_and_tag.rfind('/');
        let (name_end, tag) = match name_and_tag.rfind(':') {
            Some(colon) if last_slash.is_none_or(|slash| colon > slash) => {
                (colon, Some(colon + 1..name_and_tag_end))
            }
            _ => (name_and_tag_end, None),
        };
        let name = &raw[..name_end];
        let registry_end = name.find('/').filter(|&slash| {
            let first = &name[..slash];
            first.contains(['.', ':'])
                || first == "localhost"
                || first.bytes().any(|b| b.is_ascii_uppercase())
        });
        let path = registry_end.map_or(0, |end| end + 1)..name_end;
        let slashes = raw[path.clone()]
            .match_indices('/')
            .map(|(at, _)| path.start + at)
            .collect();
        Layout {
            len,
            registry: registry_end.map(|end| 0..end),
            path,
            tag,
            digest,
            slashes,
        }
    }

    fn classify(&self, span: Range<usize>) -> AddressPart {
        if span == (0..self.len) {
            return AddressPart::FullAddress;
        }
        if Some(&span) == self.registry.as_ref() {
            return AddressPart::Endpoint;
        }
        if Some(&span) == self.tag.as_ref() {
            return AddressPart::Tag;
        }
        if Some(&span) == self.digest.as_ref() {
            return AddressPart::Digest;
        }
        // A prefix stops at a `/`; one that stops inside a segment is only a piece of it.
        let ends_a_segment = self.slashes.contains(&span.end);
        match &self.registry {
            Some(registry) => {
                if span == self.path {
                    AddressPart::Repo
                } else if span.start == 0 && span.end == self.path.end {
                    AddressPart::Repository
                } else if span.start == 0 && span.end > registry.end && ends_a_segment {
                    AddressPart::PrefixAddress
                } else {
                    AddressPart::Partial
                }
            }
            // The platform writes its registry and path where the reference has only a path.
            None if span == self.path => AddressPart::Repository,
            None if span.start == self.path.start && ends_a_segment => AddressPart::PrefixAddress,
            None => AddressPart::Partial,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn marker(value: Scalar) -> Option<String> {
        Marker::for_value(&value, 7).map(|marker| marker.text)
    }

    #[test]
    fn numbers_get_numbers_that_count_the_same() {
        let cases = [
            ("16", Some("16.0000000071")),
            ("3", Some("3.0000000071")),
            ("0.5", Some("0.50000000071")),
            ("8080", Some("8080.0000000071")),
            ("-1", None),
            ("1048576", None),
        ];
        for (number, expected) in cases {
            let marker = number_marker(number, 7);
            assert_eq!(
                marker.as_ref().map(|m| m.text.as_str()),
                expected,
                "{number}"
            );
            if let Some(marker) = marker {
                assert!(marker.value.is_f64(), "{number}");
            }
        }
    }

    fn text(value: &str) -> Option<String> {
        marker(Scalar::Text(value.to_owned()))
    }

    #[test]
    fn markers_keep_the_shape_of_the_value() {
        let digest = format!("sha256:{}", "ab".repeat(32));
        let marker_digest = format!("sha256:{}ace7", "0".repeat(60));
        let pinned = format!("ghcr.io/acme/app@{digest}");
        let cases: Vec<(&str, Option<String>)> = vec![
            ("docker.io", Some("m7x.osc-marker.test".into())),
            ("localhost:5000", Some("m7x.osc-marker.test".into())),
            ("10.0.0.1:5000", Some("m7x.osc-marker.test".into())),
            ("cluster.local", Some("m7x.osc-marker.test".into())),
            ("bitnami/redis", Some("m7x/m7x".into())),
            ("redis", Some("m7x".into())),
            ("IfNotPresent", Some("m7x".into())),
            ("latest", Some("m7x".into())),
            ("8.2.1-debian-12-r0", Some("8.2.990007-m7x".into())),
            ("12-debian-12-r51", Some("12.0.990007-m7x".into())),
            ("1.25", Some("1.25.990007".into())),
            ("v2.1.3", Some("v2.1.990007".into())),
            ("10.0.0.1", Some("10.0.990007-m7x".into())),
            ("3abc", Some("m7x".into())),
            (
                "docker.io/bitnami/redis:8.2.1",
                Some("m7x.osc-marker.test/m7x/m7x:8.2.990007".into()),
            ),
            ("nginx:latest", Some("m7x:m7x".into())),
            ("quay.io/x", Some("m7x.osc-marker.test/m7x".into())),
            (
                &pinned[..],
                Some(format!("m7x.osc-marker.test/m7x/m7x@{marker_digest}")),
            ),
            (&digest[..], Some(marker_digest.clone())),
            ("https://example.com/x", None),
            ("two words", None),
            ("Europe/Berlin", None),
            ("/var/lib/data", None),
            ("-flag", None),
        ];
        for (value, expected) in cases {
            assert_eq!(text(value), expected, "{value:?}");
        }
        assert_eq!(
            marker(Scalar::Number("12".into())),
            Some("12.0000000071".into())
        );
        assert_eq!(
            marker(Scalar::Number("20240101".into())),
            Some("20240101.0.990007".into())
        );
        assert_eq!(marker(Scalar::Number("-1".into())), None);
        assert_eq!(marker(Scalar::Unset), Some("9.9.990007".into()));
    }

    #[test]
    fn every_marker_of_a_reference_is_a_valid_reference() {
        for value in [
            "docker.io/bitnami/redis:8.2.1",
            "nginx:latest",
            "localhost:5000/a/b/c:1",
        ] {
            let marker = text(value).unwrap();
            assert!(ImageRef::parse(&marker).is_ok(), "{marker}");
        }
    }

    #[test]
    fn spans_are_classified_by_the_part_they_cover() {
        use AddressPart::*;
        let cases = [
            (
                "m1x.osc-marker.test/bitnami/redis:7",
                "m1x.osc-marker.test",
                Endpoint,
            ),
            ("r.io/m1x/m1x:7", "m1x/m1x", Repo),
            (
                "m1x.osc-marker.test/m1x:7",
                "m1x.osc-marker.test/m1x",
                Repository,
            ),
            (
                "m1x.osc-marker.test/m1x/redis:7",
                "m1x.osc-marker.test/m1x",
                PrefixAddress,
            ),
            ("r.io/acme/redis:m1x", "m1x", Tag),
            ("r.io/acme/redis:7@m1x", "m1x", Digest),
            (
                "m1x.osc-marker.test/m1x:m1x",
                "m1x.osc-marker.test/m1x:m1x",
                FullAddress,
            ),
            ("m1x/m1x:7", "m1x/m1x", Repository),
            ("m1x/redis:7", "m1x", PrefixAddress),
            ("r.io/m1x/redis:7", "m1x", Partial),
            ("r.io/acme/m1x-redis:7", "m1x", Partial),
            ("r.io/acme/redis:7-m1x", "m1x", Partial),
            ("localhost:5000/m1x:7", "m1x", Repo),
        ];
        for (raw, marker, expected) in cases {
            let marker = Marker {
                value: Value::from(marker),
                text: marker.to_owned(),
                token: None,
            };
            assert_eq!(marker.parts_in(raw), vec![expected], "{marker:?} in {raw}");
        }
    }

    #[test]
    fn a_marker_is_found_only_whole() {
        let marker = Marker::for_value(&Scalar::Text("bitnami/redis".into()), 1).unwrap();
        assert!(marker.parts_in("r.io/m11x/m11x:7").is_empty());
        assert_eq!(marker.parts_in("r.io/m1x:7"), vec![AddressPart::Partial]);
        let unset = Marker::for_value(&Scalar::Unset, 1000).unwrap();
        assert!(unset.parts_in("9.9.9910000/x:1").is_empty());
        assert_eq!(
            unset.parts_in("9.9.991000/x:1"),
            vec![AddressPart::Endpoint]
        );
    }
}
