//! The one rule for a service's contact, which the platform requires before it publishes: `lint`
//! reports it and `package` refuses on it, through the same function.

use osc_chart::Chart;
use osc_csv::Csv;

/// A chart maintainer with a name and an email or url.
pub(crate) fn chart_has_contact(chart: &Chart) -> bool {
    chart.metadata().maintainers.iter().any(|maintainer| {
        filled(&maintainer.name) && (filled(&maintainer.email) || filled(&maintainer.url))
    })
}

/// A CSV maintainer with an email, or a provider with a name and a url or email (OLM writes
/// `{name, url}`, the OSC guide `{name, email}`).
pub(crate) fn operator_has_contact(csv: &Csv) -> bool {
    let some_filled = |text: &Option<String>| text.as_deref().is_some_and(filled);
    csv.maintainers
        .iter()
        .any(|maintainer| some_filled(&maintainer.email))
        || csv.provider.as_ref().is_some_and(|provider| {
            some_filled(&provider.name)
                && (some_filled(&provider.url) || some_filled(&provider.email))
        })
}

fn filled(text: &str) -> bool {
    !text.trim().is_empty()
}
