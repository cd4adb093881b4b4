//! Reading pages by CSS selectors.

use std::sync::Once;

use scraper::Html;

/// The password every test login gets.
pub const PASSWORD: &str = "correct horse battery staple";

static BACKEND_NOTE: Once = Once::new();

#[allow(unused_imports)]
use super::*;

/// The value of the first hidden input named `name`.
pub fn hidden_value(html: &str, name: &str) -> Option<String> {
    let doc = Html::parse_document(html);
    let s = sel(&format!("input[name=\"{name}\"]"));
    let value = doc.select(&s).next()?.value().attr("value")?.to_string();
    Some(value)
}

/// The `data-value` of the element with `id`, as an integer.
pub fn data_value(html: &str, id: &str) -> Option<i64> {
    let doc = Html::parse_document(html);
    let s = sel(&format!("#{id}"));
    doc.select(&s)
        .next()?
        .value()
        .attr("data-value")?
        .parse()
        .ok()
}

/// The text of the first element matching `css`.
pub fn text_of(html: &str, css: &str) -> Option<String> {
    let doc = Html::parse_document(html);
    let s = sel(css);
    let text = doc.select(&s).next()?.text().collect::<String>();
    Some(text.trim().to_string())
}

/// An attribute of the first element a selector finds.
pub fn hidden_attr(html: &str, css: &str, attr: &str) -> Option<String> {
    let doc = Html::parse_document(html);
    let s = sel(css);
    let value = doc.select(&s).next()?.value().attr(attr)?.to_string();
    Some(value)
}

pub fn count_of(html: &str, css: &str) -> usize {
    Html::parse_document(html).select(&sel(css)).count()
}
